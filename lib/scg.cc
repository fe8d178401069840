/* gr-bearing: the SCG kernel. The steps, their order and their stopping rules are those of
 * the numpy reference in python/bearing/scg.py; keep the two in step. */

#include <gnuradio/bearing/scg.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace gr {
namespace bearing {

namespace {

// The pragma lets the compiler reorder the sum into SIMD lanes (built with
// -fopenmp-simd; no OpenMP runtime is involved).
double dot(const double* a, const double* b, std::size_t n)
{
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = 0; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

double norm(const double* a, std::size_t n)
{
    return std::sqrt(dot(a, a, n));
}

// Solves one right-hand side at a time, in float64; owns the work arrays so a thread
// reuses them.
class solver
{
public:
    solver(const scg_matrix& matrix, const scg_options& options)
        : d_m(matrix), d_o(options), d_size(matrix.cols)
    {
    }

    // Works on the active entries only (the others are zero and stay zero) and writes
    // eta once at the end.
    std::int64_t solve(const double* b, double* eta)
    {
        const std::size_t size = d_size;
        d_active.resize(size);
        for (std::size_t i = 0; i < size; ++i)
            d_active[i] = i;
        d_weights.assign(size, d_o.lambda);
        d_x.assign(size, 0.0);
        d_compacted = false;

        std::int64_t iteration = 0;
        for (iteration = 1; iteration <= d_o.max_iter; ++iteration) {
            compact(b);
            d_previous.assign(d_x.begin(), d_x.end());
            pcg();
            if (d_o.nonnegative)
                for (auto& value : d_x)
                    value = std::max(value, 0.0);
            if (d_o.mu == 0.0)
                break;
            double peak = 0.0;
            for (const auto value : d_x)
                peak = std::max(peak, std::abs(value));
            if (peak == 0.0)
                break;
            if (reweight(peak))
                break;
        }
        std::fill(eta, eta + size, 0.0);
        for (std::size_t i = 0; i < d_x.size(); ++i)
            eta[d_active[i]] = d_x[i];
        return std::min<std::int64_t>(iteration, d_o.max_iter);
    }

private:
    // Prunes entries at or below prune * peak, sets the attractor weights
    // lambda + mu peak / (|eta| (1 + eps |eta| / peak)) of the others, and returns whether
    // the step since the previous iterate is within tol (relative).
    bool reweight(double peak)
    {
        std::size_t kept = 0;
        double step = 0.0, length = 0.0;
        for (std::size_t i = 0; i < d_n; ++i) {
            const std::size_t l = d_active[i];
            const double magnitude = std::abs(d_x[i]);
            double value = 0.0;
            if (magnitude > d_o.prune * peak) {
                value = d_x[i];
                d_weights[l] =
                    d_o.lambda + d_o.mu * peak / (magnitude * (1.0 + d_o.eps * magnitude / peak));
                d_active[kept] = l;
                d_x[kept++] = value;
            }
            const double diff = value - d_previous[i];
            step += diff * diff;
            length += value * value;
        }
        if (kept != d_n)
            d_compacted = false;
        d_active.resize(kept);
        d_x.resize(kept);
        return std::sqrt(step) <= d_o.tol * std::sqrt(length);
    }

    // Gathers b, the diagonal weights and (when the active set changed) the matrix block of
    // the active entries; d_x already holds their values.
    void compact(const double* b)
    {
        const std::size_t n = d_active.size();
        d_n = n;
        d_b.resize(n);
        d_d.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            d_b[i] = b[d_active[i]];
            d_d[i] = d_weights[d_active[i]];
        }
        if (d_compacted)
            return;
        const std::size_t full = d_size;
        const std::size_t rows = d_m.factored ? d_m.rows : n;
        if (n == full) {
            d_mat = d_m.data;
        } else {
            d_block.resize(rows * n);
            for (std::size_t k = 0; k < rows; ++k) {
                const std::size_t source = d_m.factored ? k : d_active[k];
                for (std::size_t i = 0; i < n; ++i)
                    d_block[k * n + i] = d_m.data[source * full + d_active[i]];
            }
            d_mat = d_block.data();
        }
        d_compacted = true;
    }

    // out = (P_AA + diag(d)) v on the compacted block.
    void apply(const std::vector<double>& v, std::vector<double>& out)
    {
        const std::size_t n = d_n;
        if (d_m.factored) {
            const std::size_t rows = d_m.rows;
            d_t.resize(rows);
            for (std::size_t k = 0; k < rows; ++k)
                d_t[k] = dot(d_mat + k * n, v.data(), n);
            for (std::size_t i = 0; i < n; ++i)
                out[i] = d_d[i] * v[i];
            for (std::size_t k = 0; k < rows; ++k) {
                const double scale = d_t[k];
                const double* row = d_mat + k * n;
                for (std::size_t i = 0; i < n; ++i)
                    out[i] += scale * row[i];
            }
        } else {
            for (std::size_t i = 0; i < n; ++i)
                out[i] = dot(d_mat + i * n, v.data(), n) + d_d[i] * v[i];
        }
    }

    // CG on (P_AA + D) x = b, D = diag(d), preconditioned by D, from the current x:
    // I + D^-1/2 P D^-1/2 is the identity plus rank r, so it converges in about r + 1 steps.
    void pcg()
    {
        const std::size_t n = d_n;
        d_r.resize(n);
        d_z.resize(n);
        d_p.resize(n);
        d_q.resize(n);
        d_prec.resize(n);
        apply(d_x, d_q);
        for (std::size_t i = 0; i < n; ++i) {
            d_r[i] = d_b[i] - d_q[i];
            d_prec[i] = 1.0 / d_d[i];
            d_z[i] = d_prec[i] * d_r[i];
            d_p[i] = d_z[i];
        }
        double rz = dot(d_r.data(), d_z.data(), n);
        const double threshold = d_o.cg_tol * norm(d_b.data(), n);
        for (int step = 0; step < d_o.cg_iter; ++step) {
            if (norm(d_r.data(), n) <= threshold)
                break;
            apply(d_p, d_q);
            const double curvature = dot(d_p.data(), d_q.data(), n);
            if (!(curvature > 0.0))
                break;
            const double alpha = rz / curvature;
            for (std::size_t i = 0; i < n; ++i) {
                d_x[i] += alpha * d_p[i];
                d_r[i] -= alpha * d_q[i];
                d_z[i] = d_prec[i] * d_r[i];
            }
            const double rz_next = dot(d_r.data(), d_z.data(), n);
            const double beta = rz_next / rz;
            for (std::size_t i = 0; i < n; ++i)
                d_p[i] = d_z[i] + beta * d_p[i];
            rz = rz_next;
        }
    }

    const scg_matrix& d_m;
    const scg_options& d_o;
    const std::size_t d_size;
    std::size_t d_n = 0;
    bool d_compacted = false;
    const double* d_mat = nullptr;
    std::vector<std::size_t> d_active;
    std::vector<double> d_weights, d_block, d_x, d_previous, d_b, d_d, d_r, d_z, d_p, d_q, d_prec, d_t;
};

template <typename T>
void check_finite(const T* values, std::size_t rows, std::size_t cols, const char* name)
{
    for (std::size_t i = 0; i < rows * cols; ++i) {
        if (!std::isfinite(values[i])) {
            std::ostringstream message;
            message << name << " contains NaN or infinity (row " << i / cols << ", column "
                    << i % cols << ")";
            throw std::invalid_argument(message.str());
        }
    }
}

void require(bool ok, const char* name, const char* bound, double value)
{
    if (!ok || !std::isfinite(value)) {
        std::ostringstream message;
        message << "SCG option " << name << " must be " << bound << ", got " << value;
        throw std::invalid_argument(message.str());
    }
}

} // namespace

void scg_options::validate() const
{
    require(lambda > 0.0, "lam", "> 0", lambda);
    require(mu >= 0.0, "mu", ">= 0", mu);
    require(eps >= 0.0, "eps", ">= 0", eps);
    require(tol >= 0.0, "tol", ">= 0", tol);
    require(cg_tol >= 0.0, "cg_tol", ">= 0", cg_tol);
    require(max_iter >= 1, "max_iter", "an integer >= 1", max_iter);
    require(cg_iter >= 1, "cg_iter", "an integer >= 1", cg_iter);
    require(prune > 0.0 && prune < 1.0, "prune", "in (0, 1)", prune);
}

namespace {

// Spreads the right-hand sides over `threads` workers, each with its own work arrays.
void solve_batch(const scg_matrix& matrix,
                 const double* b,
                 double* eta,
                 std::int64_t* iterations,
                 std::size_t batch,
                 const scg_options& options,
                 unsigned threads)
{
    const std::size_t size = matrix.cols;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned wanted = threads && threads < cores ? threads : cores;
    const auto workers = static_cast<unsigned>(std::min<std::size_t>(wanted, batch));
    // A worker's exception (e.g. std::bad_alloc) is kept and rethrown after every thread
    // has joined: an exception escaping a std::thread, or a joinable thread destroyed
    // while unwinding, would terminate the process.
    std::vector<std::exception_ptr> errors(std::max(1u, workers));
    auto run = [&](unsigned first) {
        try {
            solver work(matrix, options);
            for (std::size_t row = first; row < batch; row += workers)
                iterations[row] = work.solve(b + row * size, eta + row * size);
        } catch (...) {
            errors[first] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    try {
        for (unsigned w = 1; w < workers; ++w)
            pool.emplace_back(run, w);
    } catch (...) {
        errors[0] = std::current_exception(); // could not start a thread: do no work
    }
    if (!errors[0])
        run(0);
    for (auto& thread : pool)
        thread.join();
    for (const auto& error : errors)
        if (error)
            std::rethrow_exception(error);
}

} // namespace

// The arithmetic is float64 for either type of b: the reweighted systems get
// ill-conditioned as the spectrum sharpens, and in float32 the result would depend on
// rounding (a float32 version moved peaks by a grid step or more). A float b is widened
// on the way in and eta narrowed on the way out; the matrix is float64 always.
template <typename T>
void scg_solve(const scg_matrix& matrix,
               const T* b,
               T* eta,
               std::int64_t* iterations,
               std::size_t batch,
               const scg_options& options,
               unsigned threads)
{
    options.validate();
    if (matrix.rows == 0 || matrix.cols == 0)
        throw std::invalid_argument("the system matrix is empty");
    if (!matrix.factored && matrix.rows != matrix.cols) {
        std::ostringstream message;
        message << "projection P must be square (L, L), got shape (" << matrix.rows << ", "
                << matrix.cols << ")";
        throw std::invalid_argument(message.str());
    }
    check_finite(matrix.data, matrix.rows, matrix.cols,
                 matrix.factored ? "factor G" : "projection P");
    check_finite(b, batch, matrix.cols, "b");

    if constexpr (std::is_same_v<T, double>) {
        solve_batch(matrix, b, eta, iterations, batch, options, threads);
    } else {
        const std::size_t values = batch * matrix.cols;
        const std::vector<double> wide_b(b, b + values);
        std::vector<double> wide_eta(values);
        solve_batch(matrix, wide_b.data(), wide_eta.data(), iterations, batch, options, threads);
        std::transform(wide_eta.begin(), wide_eta.end(), eta, [](double v) { return static_cast<T>(v); });
    }
}

template BEARING_API void scg_solve<float>(const scg_matrix&,
                                           const float*,
                                           float*,
                                           std::int64_t*,
                                           std::size_t,
                                           const scg_options&,
                                           unsigned);
template BEARING_API void scg_solve<double>(const scg_matrix&,
                                            const double*,
                                            double*,
                                            std::int64_t*,
                                            std::size_t,
                                            const scg_options&,
                                            unsigned);

} // namespace bearing
} // namespace gr
