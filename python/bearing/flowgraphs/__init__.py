"""flowgraphs."""
