/* gr-bearing: symbol visibility of the gnuradio-bearing library. */
#ifndef INCLUDED_BEARING_API_H
#define INCLUDED_BEARING_API_H

#include <gnuradio/attributes.h>

#ifdef gnuradio_bearing_EXPORTS
#define BEARING_API __GR_ATTR_EXPORT
#else
#define BEARING_API __GR_ATTR_IMPORT
#endif

#endif /* INCLUDED_BEARING_API_H */
