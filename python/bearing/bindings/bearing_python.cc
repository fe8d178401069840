/* gr-bearing: Python bindings of the C++ kernels (module gnuradio.bearing.bearing_python).
 * numpy arrays in and out; C-contiguous arrays of the solve's float type are used without
 * a copy; the GIL is released while a kernel runs. */

#include <gnuradio/bearing/scg.h>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace py = pybind11;
using gr::bearing::scg_options;

namespace {

// "(5, 4)", "(5,)": an array's shape as numpy prints it.
std::string shape_text(const py::array& values)
{
    std::ostringstream text;
    text << "(";
    for (py::ssize_t i = 0; i < values.ndim(); ++i)
        text << (i ? ", " : "") << values.shape(i);
    text << (values.ndim() == 1 ? ",)" : ")");
    return text.str();
}

// b keeps its float type (float32 or float64); the matrix is always float64.
template <typename T>
py::tuple scg(py::array b_in, py::array matrix_in, bool factored, scg_options options, unsigned threads)
{
    using array = py::array_t<T, py::array::c_style | py::array::forcecast>;
    using matrix_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
    if (b_in.dtype().kind() == 'c' || matrix_in.dtype().kind() == 'c')
        throw std::invalid_argument("b and the system matrix must be real, not complex");
    array b = array::ensure(b_in);
    matrix_array matrix = matrix_array::ensure(matrix_in);
    if (!b || !matrix)
        throw std::invalid_argument("b and the system matrix must be real numeric arrays");
    if (matrix.ndim() != 2 || (!factored && matrix.shape(0) != matrix.shape(1))) {
        throw std::invalid_argument(
            std::string(factored ? "factor G must be 2-D (r, L)" : "projection P must be square (L, L)") +
            ", got shape " + shape_text(matrix));
    }
    const auto size = static_cast<std::size_t>(matrix.shape(1));
    if ((b.ndim() != 1 && b.ndim() != 2) || static_cast<std::size_t>(b.shape(b.ndim() - 1)) != size) {
        throw std::invalid_argument("b must have shape (L,) or (batch, L) with L = " + std::to_string(size) +
                                    " (the system's size), got " + shape_text(b));
    }
    const std::size_t batch = b.ndim() == 2 ? static_cast<std::size_t>(b.shape(0)) : 1;
    array eta(std::vector<py::ssize_t>(b.shape(), b.shape() + b.ndim()));
    py::array_t<std::int64_t> iterations(static_cast<py::ssize_t>(batch));
    const gr::bearing::scg_matrix system{
        matrix.data(), static_cast<std::size_t>(matrix.shape(0)), size, factored
    };
    {
        py::gil_scoped_release release;
        gr::bearing::scg_solve<T>(
            system, b.data(), eta.mutable_data(), iterations.mutable_data(), batch, options, threads);
    }
    return py::make_tuple(eta, iterations);
}

} // namespace

PYBIND11_MODULE(bearing_python, m)
{
    m.doc() = "C++ kernels of gr-bearing (see gnuradio.bearing.scg for the Python API).";

    py::class_<scg_options>(m, "scg_options", "Parameters of SCG (see gnuradio.bearing.scg.ScgOptions).")
        .def(py::init<>())
        .def_readwrite("lam", &scg_options::lambda)
        .def_readwrite("mu", &scg_options::mu)
        .def_readwrite("eps", &scg_options::eps)
        .def_readwrite("nonnegative", &scg_options::nonnegative)
        .def_readwrite("tol", &scg_options::tol)
        .def_readwrite("max_iter", &scg_options::max_iter)
        .def_readwrite("cg_tol", &scg_options::cg_tol)
        .def_readwrite("cg_iter", &scg_options::cg_iter)
        .def_readwrite("prune", &scg_options::prune)
        .def("validate", &scg_options::validate);

    m.def(
        "scg",
        // options is taken by value: the kernel reads its own copy while the GIL is released.
        [](py::array b, py::array matrix, bool factored, scg_options options, unsigned threads) {
            if (py::dtype::of<float>().is(b.dtype()))
                return scg<float>(b, matrix, factored, options, threads);
            return scg<double>(b, matrix, factored, options, threads);
        },
        py::arg("b"),
        py::arg("matrix"),
        py::arg("factored"),
        py::arg("options"),
        py::arg("threads") = 0,
        "SCG on (P + lambda I) eta = b. matrix is P (L, L) or, with factored=True, G (r, L) with "
        "P = G^T G. b is (L,) or (batch, L); float32 b gives float32 eta, anything else float64 (the arithmetic is float64). "
        "Returns (eta shaped like b, outer iterations per right-hand side). Raises ValueError on bad input.");
}
