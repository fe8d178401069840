/* gr-bearing: the sparse conjugate gradient (SCG) solver of MoD-DNN.
 *
 * Solves (P + lambda I) eta = b with the elementwise reweighted zero attractor
 * mu s sgn(eta_l) / (1 + eps |eta_l| / s), s = max |eta| (Liu et al. 2025, Sec. 4.2,
 * eqs. 21 and 29, Algorithm 1), by lagged reweighting: each outer iteration solves
 * (P + D) eta = b, D = diag(lambda + c), by CG preconditioned with D, on the entries still
 * active. python/bearing/scg.py documents the algorithm step by step and holds the
 * numpy reference that this kernel must match.
 */
#ifndef INCLUDED_BEARING_SCG_H
#define INCLUDED_BEARING_SCG_H

#include <gnuradio/bearing/api.h>
#include <cstddef>
#include <cstdint>

namespace gr {
namespace bearing {

/*! Parameters of SCG; see python/bearing/scg.py (ScgOptions) for their meaning. */
struct BEARING_API scg_options {
    double lambda = 0.1;     //!< ridge weight of eq. (21), > 0
    double mu = 3.0;         //!< attractor strength relative to the peak, >= 0 (0: plain CG)
    double eps = 10.0;       //!< attractor reweighting relative to the peak, >= 0
    bool nonnegative = true; //!< project onto eta >= 0 after each solve
    double tol = 1e-4;       //!< relative step-size tolerance of the outer loop, >= 0
    int max_iter = 30;       //!< cap on outer iterations, >= 1
    double cg_tol = 1e-10;   //!< relative residual tolerance of each CG solve, >= 0
    int cg_iter = 32;        //!< cap on the steps of each CG solve, >= 1
    double prune = 1e-3;     //!< entries <= prune * peak leave the problem, in (0, 1)

    /*! Throws std::invalid_argument naming the first bad field. */
    void validate() const;
};

/*! The system matrix P: dense (rows == cols == L) or factored P = G^T G (G: rows x L).
 *  Row-major float64, not owned; must outlive the solve. */
struct scg_matrix {
    const double* data;
    std::size_t rows;
    std::size_t cols; //!< L
    bool factored;
};

/*! Solves for `batch` right-hand sides b (batch x L, row-major, float or double) into eta.
 *  iterations (batch entries) receives the outer iteration count of each solve.
 *  Checks every input first and throws std::invalid_argument with a message naming
 *  the problem (shape, NaN or infinity in b or P, bad option); nothing is written then.
 *  Right-hand sides are spread over up to `threads` threads (0, or more than the hardware
 *  has: one per core). The arithmetic is float64 for T = float too (b is widened). */
template <typename T>
BEARING_API void scg_solve(const scg_matrix& matrix,
                           const T* b,
                           T* eta,
                           std::int64_t* iterations,
                           std::size_t batch,
                           const scg_options& options,
                           unsigned threads = 0);

} // namespace bearing
} // namespace gr

#endif /* INCLUDED_BEARING_SCG_H */
