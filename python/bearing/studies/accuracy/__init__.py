"""The MoD-DNN accuracy study: MoD-DNN against classical and learned baselines on an impaired array.

Liu et al., ACM TOSN 2025, Sec. 6 (Figs. 1c, 4a-g, 5c, Table 4), re-run on the simulator in
the demo setting: a 4-element half-wavelength ULA at 4.85 GHz, K = 16 subcarriers at
-48 .. 48 MHz from the carrier, the paper's subregions and grid (-60 .. 60 deg at 0.1 deg).
One CFR item (:func:`~gnuradio.bearing.learned.training_data.source_cfrs`: the impaired array response
per subcarrier,
a random gain and delay, white noise; SNR per element and subcarrier) is one estimate.

1. **Calibration.** A sweep of the field of view (``sweep_step_deg``, ``draws_per_angle``
   items per angle, ``calibration_snr_db`` = 20 dB) through the impaired array
   ``draw_impairments(4, rho, seed)`` trains MoD-DNN (the library's default configuration and
   training options: Autoencoder I), two ablations (Autoencoder II, ``shared_weights``; the
   paper's linear decoders of eq. (9), ``decoder="linear"``), DeepMUSIC, the data-driven CNN
   and the table of manifold-calibrated MUSIC. The covariance-based methods see each item's
   covariance over its 16 subcarriers (:func:`item_covariances`).
2. **Test** on held-out angles (uniform in -60 .. 60 deg, off the sweep's grid) of the same
   array with fresh noise and gains: RMSE against SNR with the CRB (Fig. 4f), error CDFs and
   p80 at the test SNR, errors per subregion (Fig. 5c), the autoencoder's responses (Figs.
   4a-d), example spectra (Figs. 1c, 4e), training and test time (Table 4); RMSE against the
   impairment degree rho, every rho with its own array and retrained models (Fig. 4g); and
   the whole train and test on a second impairment draw (the unseen array).
3. **Calibration SNR.** MoD-DNN and calibrated MUSIC are trained once more on the same sweep
   at the paper's 10 dB (``paper_calibration_snr_db``, the same gains and noise draws, scaled)
   and tested at every SNR: the calibration's noise sets the floor of both at high SNR.

Choices, stated in the tables' header and docs: MUSIC and DBF (Bartlett) use the ideal
manifold on a -90 .. 90 deg grid with off-grid refinement
(:class:`~gnuradio.bearing.doa.classical.Estimator`);
coarray DBF takes the parabola-refined peak of its spectrum
(:func:`~gnuradio.bearing.learned.modl_ssr.peak_bearings`,
as MoD-DNN does on its calibrated spectrum); SCG alone takes the support centroid of its
sparse spectrum, as the SCG block does. An estimator that returns no bearing counts as
answering 0 deg (the centre of the field of view) and is counted in ``missed``. The bound is
the stochastic CRB (:func:`~gnuradio.bearing.doa.crb.stochastic_crb`) of the ideal array for one unit-power
source and T = 16 snapshots (the item's subcarriers), RMS over the test angles.
"""

from .command import main

__all__ = ["main"]
