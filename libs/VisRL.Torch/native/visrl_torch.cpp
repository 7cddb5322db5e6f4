// C ABI over libtorch (ATen, autograd, torch::optim) for VisRL.Torch.
//
// Conventions, relied on by the C# side (Native/NativeMethods.cs):
// - A tensor crosses the boundary as an owning `at::Tensor*` (vt_free releases it).
// - Every entry point that can fail returns 0 on success, non-zero on failure; the message of
//   the failure is kept in a thread-local string read by vt_last_error. No C++ exception ever
//   crosses the boundary.
// - Dtypes are c10::ScalarType values; devices are (type, index) with type 0 = CPU, 1 = CUDA.
// - Operation families take an op code so that one P/Invoke per tensor op stays the rule without
//   hundreds of exports; the codes are mirrored by enums in C#.
//
// The source compiles against libtorch 1.13 and 2.x: anything newer is guarded by
// TORCH_VERSION_MAJOR.

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <torch/cuda.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <type_traits>
#include <string>
#include <unordered_map>
#include <vector>

#define VT_API extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string last_error;

void set_error(const char* message) { last_error = message ? message : "unknown error"; }

using T = at::Tensor*;

// Ownership of a result passes to the caller.
inline T wrap(at::Tensor&& t) { return new at::Tensor(std::move(t)); }
inline T wrap(const at::Tensor& t) { return new at::Tensor(t); }

inline c10::optional<at::Tensor> opt(T t) {
  return t ? c10::optional<at::Tensor>(*t) : c10::nullopt;
}

inline at::Device device_of(int type, int index) {
  if (type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  return at::Device(at::kCPU);
}

inline at::TensorOptions options_of(int dtype, int dev_type, int dev_index, bool requires_grad) {
  return at::TensorOptions()
      .dtype(static_cast<at::ScalarType>(dtype))
      .device(device_of(dev_type, dev_index))
      .requires_grad(requires_grad);
}

inline at::IntArrayRef dims(const int64_t* values, int count) {
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

}  // namespace

#define VT_TRY try {
#define VT_CATCH                                            \
  }                                                         \
  catch (const c10::Error& e) {                             \
    set_error(e.what_without_backtrace());                  \
    return 1;                                               \
  }                                                         \
  catch (const std::exception& e) {                         \
    set_error(e.what());                                    \
    return 1;                                               \
  }                                                         \
  catch (...) {                                             \
    set_error("unknown C++ exception in libvisrl_torch");   \
    return 1;                                               \
  }                                                         \
  return 0;

// ---------------------------------------------------------------------------------------------
// Runtime

VT_API const char* vt_last_error() { return last_error.c_str(); }

VT_API void vt_free(T t) { delete t; }

VT_API const char* vt_version() {
  static const std::string version = std::to_string(TORCH_VERSION_MAJOR) + "." +
                                     std::to_string(TORCH_VERSION_MINOR) + "." +
                                     std::to_string(TORCH_VERSION_PATCH);
  return version.c_str();
}

VT_API int vt_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
VT_API int vt_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

// Waits for every kernel queued on the current CUDA device: GPU work is asynchronous, so a timer
// read without it measures only the launches.
// cuDNN runs float32 convolutions in TF32 by default (10-bit mantissa); off, they match the CPU's.
VT_API int vt_cudnn_allow_tf32(int allow) {
  if (allow >= 0) at::globalContext().setAllowTF32CuDNN(allow != 0);
  return at::globalContext().allowTF32CuDNN() ? 1 : 0;
}

VT_API int vt_cuda_synchronize() {
  VT_TRY
  torch::cuda::synchronize();
  VT_CATCH
}

// OpenBLAS keeps its own thread pool next to libtorch's; a replica asking for one thread must
// get one in both, so the OpenBLAS setter is called when the loaded BLAS is OpenBLAS.
VT_API int vt_set_num_threads(int n) {
  VT_TRY
  at::set_num_threads(n);
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
  VT_CATCH
}

VT_API int vt_get_num_threads() { return at::get_num_threads(); }

// The core type OpenBLAS actually selected (it may differ from what OPENBLAS_CORETYPE asked
// for); empty when the loaded BLAS is not OpenBLAS.
VT_API const char* vt_blas_core_name() {
  using CoreName = char* (*)();
  if (auto f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) {
    const char* name = f();
    return name ? name : "";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// CPU tensor memory
//
// libtorch takes every CPU tensor from malloc, and glibc gives the freed memory of large blocks
// back to the kernel, so the next batch faults each page in again and the kernel zeroes it: a
// Sampler replica took 50,000-250,000 page faults per 3 s and spent 35-45 % of its user time in
// the kernel. This allocator keeps freed blocks by size class (four per power of two, so a block
// is at most 25 % larger than asked for) and hands them out again, up to a limit of kept bytes.

namespace {

// libtorch 2.3 made Allocator::allocate non-const and added copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define VT_TORCH_2_3 1
#define VT_ALLOCATE_CONST
#else
#define VT_TORCH_2_3 0
#define VT_ALLOCATE_CONST const
#endif

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  c10::DataPtr allocate(size_t nbytes) VT_ALLOCATE_CONST override {
    void* data = nbytes == 0 ? nullptr : take(size_class(nbytes));
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

#if VT_TORCH_2_3
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#endif

  size_t kept_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return kept_;
  }

  static CachingCpuAllocator* instance;

 private:
  static size_t size_class(size_t n) {
    if (n <= 4096) return (n + 63) & ~size_t{63};
    size_t step = (size_t{1} << (63 - __builtin_clzll(n - 1))) / 4;
    return (n + step - 1) / step * step;
  }

  void* take(size_t size) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto kept = free_.find(size);
      if (kept != free_.end() && !kept->second.empty()) {
        void* data = kept->second.back();
        kept->second.pop_back();
        kept_ -= size;
        return data;
      }
    }
    void* data = nullptr;
    // 64-byte alignment, as libtorch's own CPU allocator.
    if (posix_memalign(&data, 64, size) != 0 || data == nullptr)
      throw std::runtime_error("out of CPU memory: " + std::to_string(size) + " bytes for a tensor");
    std::lock_guard<std::mutex> lock(mutex_);
    size_of_[data] = size;
    return data;
  }

  static void release(void* data) {
    if (data == nullptr) return;
    auto* self = instance;
    std::lock_guard<std::mutex> lock(self->mutex_);
    auto it = self->size_of_.find(data);
    size_t size = it->second;
    if (self->kept_ + size <= self->limit_) {
      self->free_[size].push_back(data);
      self->kept_ += size;
      return;
    }
    self->size_of_.erase(it);
    std::free(data);
  }

  const size_t limit_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<size_t, std::vector<void*>> free_;
  mutable std::unordered_map<void*, size_t> size_of_;
  mutable size_t kept_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

}  // namespace

// Installs the caching allocator for every CPU tensor made from now on (call it before the first);
// never freed, so tensors that outlive static destruction still find it. 0 when installed.
VT_API int vt_keep_cpu_memory(int64_t limit_bytes) {
  VT_TRY
  if (CachingCpuAllocator::instance != nullptr) throw std::runtime_error("the CPU memory cache is installed already");
  CachingCpuAllocator::instance = new CachingCpuAllocator(static_cast<size_t>(limit_bytes));
  c10::SetCPUAllocator(CachingCpuAllocator::instance, /*priority=*/1);
  VT_CATCH
}

// Bytes of freed CPU tensor memory kept for reuse; -1 without the cache.
VT_API int64_t vt_kept_cpu_memory() {
  auto* cache = CachingCpuAllocator::instance;
  return cache == nullptr ? -1 : static_cast<int64_t>(cache->kept_bytes());
}

VT_API int vt_manual_seed(uint64_t seed) {
  VT_TRY
  at::manual_seed(seed);
  VT_CATCH
}

// Grad mode is thread-local in libtorch, as is no_grad in Python.
VT_API int vt_set_grad_enabled(int enabled) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
}

VT_API int vt_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }

// ---------------------------------------------------------------------------------------------
// Creation

enum CreateKind { kZeros = 0, kOnes = 1, kEmpty = 2, kFull = 3, kRandn = 4, kRand = 5 };

VT_API int vt_create(int kind, const int64_t* shape, int ndim, double value, int dtype,
                     int dev_type, int dev_index, int requires_grad, T* out) {
  VT_TRY
  auto o = options_of(dtype, dev_type, dev_index, false);
  auto size = dims(shape, ndim);
  at::Tensor t;
  switch (kind) {
    case kZeros: t = at::zeros(size, o); break;
    case kOnes: t = at::ones(size, o); break;
    case kEmpty: t = at::empty(size, o); break;
    case kFull: t = at::full(size, value, o); break;
    case kRandn: t = at::randn(size, o); break;
    case kRand: t = at::rand(size, o); break;
    default: throw std::invalid_argument("unknown creation kind");
  }
  if (requires_grad) t.requires_grad_(true);
  *out = wrap(std::move(t));
  VT_CATCH
}

VT_API int vt_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dtype,
                      int dev_type, int dev_index, T* out) {
  VT_TRY
  *out = wrap(at::randint(low, high, dims(shape, ndim), options_of(dtype, dev_type, dev_index, false)));
  VT_CATCH
}

VT_API int vt_arange(double start, double end, double step, int dtype, int dev_type,
                     int dev_index, T* out) {
  VT_TRY
  *out = wrap(at::arange(start, end, step, options_of(dtype, dev_type, dev_index, false)));
  VT_CATCH
}

// Copies `nbytes` of host memory into a new CPU tensor; the caller's buffer is not retained.
VT_API int vt_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim,
                        int dtype, T* out) {
  VT_TRY
  auto t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
  int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
  TORCH_CHECK(expected == nbytes, "from_data: shape needs ", expected, " bytes but ", nbytes,
              " were given");
  if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
  *out = wrap(std::move(t));
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Properties and data access

VT_API int vt_dim(T t) { return static_cast<int>(t->dim()); }

VT_API void vt_shape(T t, int64_t* buffer) {
  auto s = t->sizes();
  for (size_t i = 0; i < s.size(); ++i) buffer[i] = s[i];
}

VT_API int64_t vt_numel(T t) { return t->numel(); }
VT_API int vt_dtype(T t) { return static_cast<int>(t->scalar_type()); }
VT_API int vt_defined(T t) { return t->defined() ? 1 : 0; }

VT_API void vt_device(T t, int* type, int* index) {
  auto d = t->device();
  *type = d.is_cuda() ? 1 : 0;
  *index = d.has_index() ? d.index() : (d.is_cuda() ? 0 : -1);
}

VT_API int vt_requires_grad(T t) { return t->requires_grad() ? 1 : 0; }

VT_API int vt_set_requires_grad(T t, int value) {
  VT_TRY
  t->requires_grad_(value != 0);
  VT_CATCH
}

VT_API int vt_is_contiguous(T t) { return t->is_contiguous() ? 1 : 0; }

// Copies the tensor's elements (converted to a contiguous CPU layout) into `dst`.
VT_API int vt_copy_to(T t, void* dst, int64_t nbytes) {
  VT_TRY
  at::NoGradGuard no_grad;
  auto c = t->to(at::kCPU).contiguous();
  int64_t have = c.numel() * static_cast<int64_t>(c.element_size());
  TORCH_CHECK(have == nbytes, "copy_to: tensor holds ", have, " bytes, destination has ", nbytes);
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  VT_CATCH
}

VT_API int vt_item(T t, double* value) {
  VT_TRY
  *value = t->item<double>();
  VT_CATCH
}

VT_API int vt_to(T t, int dtype, int dev_type, int dev_index, int copy, T* out) {
  VT_TRY
  auto scalar = dtype < 0 ? t->scalar_type() : static_cast<at::ScalarType>(dtype);
  auto device = dev_type < 0 ? t->device() : device_of(dev_type, dev_index);
  *out = wrap(t->to(device, scalar, /*non_blocking=*/false, copy != 0));
  VT_CATCH
}

// Replaces the tensor's data in place, keeping its identity (what Python's `param.data = x`
// does): every holder of the tensor, an optimizer included, sees the moved data.
VT_API int vt_set_data(T dst, T src) {
  VT_TRY
  dst->set_data(*src);
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Autograd

VT_API int vt_backward(T t, T grad, int retain_graph) {
  VT_TRY
  t->backward(grad ? *grad : at::Tensor(), retain_graph ? c10::optional<bool>(true) : c10::nullopt);
  VT_CATCH
}

// *out is null when the tensor has no gradient.
VT_API int vt_grad(T t, T* out) {
  VT_TRY
  const auto& g = t->grad();
  *out = g.defined() ? wrap(g) : nullptr;
  VT_CATCH
}

VT_API int vt_set_grad(T t, T grad) {
  VT_TRY
  t->mutable_grad() = grad ? *grad : at::Tensor();
  VT_CATCH
}

VT_API int vt_clip_grad_norm(T* params, int count, double max_norm, double norm_type,
                             double* total_norm) {
  VT_TRY
  // Same math as torch.nn.utils.clip_grad_norm_: the norm of the per-parameter norms, and one
  // scale factor max_norm / (total + 1e-6) applied only when it shrinks the gradients.
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (int i = 0; i < count; ++i) {
    const auto& g = params[i]->grad();
    if (!g.defined()) continue;
    norms.push_back(std::isinf(norm_type) ? g.detach().abs().max() : g.detach().norm(norm_type));
  }
  if (norms.empty()) {
    *total_norm = 0.0;
    return 0;
  }
  auto stacked = at::stack(norms);
  double total = std::isinf(norm_type) ? stacked.max().item<double>()
                                       : stacked.norm(norm_type).item<double>();
  *total_norm = total;
  double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1.0)
    for (int i = 0; i < count; ++i)
      if (params[i]->grad().defined()) params[i]->mutable_grad().mul_(coefficient);
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Element-wise operations

enum Unary {
  uNeg, uExp, uLog, uSqrt, uRsqrt, uAbs, uSigmoid, uLogSigmoid, uRelu, uGelu, uGeluTanh, uSilu,
  uTanh, uSin, uCos, uContiguous, uClone, uDetach, uFloor, uCeil, uRound, uLogicalNot, uSign,
  uSquare, uIsNan, uIsFinite, uZerosLike, uOnesLike, uRandnLike, uRandLike, uLog1p, uExpm1,
  uReciprocal, uChannelsLast
};

VT_API int vt_unary(int op, T a, T* out) {
  VT_TRY
  const at::Tensor& x = *a;
  at::Tensor r;
  switch (op) {
    case uNeg: r = at::neg(x); break;
    case uExp: r = at::exp(x); break;
    case uLog: r = at::log(x); break;
    case uSqrt: r = at::sqrt(x); break;
    case uRsqrt: r = at::rsqrt(x); break;
    case uAbs: r = at::abs(x); break;
    case uSigmoid: r = at::sigmoid(x); break;
    case uLogSigmoid: r = at::log_sigmoid(x); break;
    case uRelu: r = at::relu(x); break;
    case uGelu: r = at::gelu(x); break;
    case uGeluTanh: r = at::gelu(x, "tanh"); break;
    case uSilu: r = at::silu(x); break;
    case uTanh: r = at::tanh(x); break;
    case uSin: r = at::sin(x); break;
    case uCos: r = at::cos(x); break;
    case uContiguous: r = x.contiguous(); break;
    case uClone: r = x.clone(); break;
    case uDetach: r = x.detach(); break;
    case uFloor: r = at::floor(x); break;
    case uCeil: r = at::ceil(x); break;
    case uRound: r = at::round(x); break;
    case uLogicalNot: r = at::logical_not(x); break;
    case uSign: r = at::sign(x); break;
    case uSquare: r = at::square(x); break;
    case uIsNan: r = at::isnan(x); break;
    case uIsFinite: r = at::isfinite(x); break;
    case uZerosLike: r = at::zeros_like(x); break;
    case uOnesLike: r = at::ones_like(x); break;
    case uRandnLike: r = at::randn_like(x); break;
    case uRandLike: r = at::rand_like(x); break;
    case uLog1p: r = at::log1p(x); break;
    case uExpm1: r = at::expm1(x); break;
    case uReciprocal: r = at::reciprocal(x); break;
    case uChannelsLast: r = x.contiguous(at::MemoryFormat::ChannelsLast); break;
    default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
  }
  *out = wrap(std::move(r));
  VT_CATCH
}

enum Binary {
  bAdd, bSub, bMul, bDiv, bMatmul, bBmm, bPow, bEq, bNe, bLt, bLe, bGt, bGe, bMaximum, bMinimum,
  bLogicalAnd, bLogicalOr, bRemainder, bFloorDivide, bRsub, bRdiv, bRpow
};

namespace {

at::Tensor binary(int op, const at::Tensor& x, const at::Tensor& y) {
  switch (op) {
    case bAdd: return at::add(x, y);
    case bSub: return at::sub(x, y);
    case bMul: return at::mul(x, y);
    case bDiv: return at::div(x, y);
    case bMatmul: return at::matmul(x, y);
    case bBmm: return at::bmm(x, y);
    case bPow: return at::pow(x, y);
    case bEq: return at::eq(x, y);
    case bNe: return at::ne(x, y);
    case bLt: return at::lt(x, y);
    case bLe: return at::le(x, y);
    case bGt: return at::gt(x, y);
    case bGe: return at::ge(x, y);
    case bMaximum: return at::maximum(x, y);
    case bMinimum: return at::minimum(x, y);
    case bLogicalAnd: return at::logical_and(x, y);
    case bLogicalOr: return at::logical_or(x, y);
    case bRemainder: return at::remainder(x, y);
    case bFloorDivide: return at::div(x, y, "floor");
    default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
  }
}

at::Tensor binary_scalar(int op, const at::Tensor& x, const at::Scalar& s) {
  switch (op) {
    case bAdd: return at::add(x, s);
    case bSub: return at::sub(x, s);
    case bMul: return at::mul(x, s);
    case bDiv: return at::div(x, s);
    case bPow: return at::pow(x, s);
    case bEq: return at::eq(x, s);
    case bNe: return at::ne(x, s);
    case bLt: return at::lt(x, s);
    case bLe: return at::le(x, s);
    case bGt: return at::gt(x, s);
    case bGe: return at::ge(x, s);
    case bRemainder: return at::remainder(x, s);
    case bFloorDivide: return at::div(x, at::scalar_tensor(s, x.options().requires_grad(false)), "floor");
    case bRsub: return at::rsub(x, s);
    case bRdiv: return at::mul(at::reciprocal(x), s);
    case bRpow: return at::pow(s, x);
    default: throw std::invalid_argument("unknown scalar op " + std::to_string(op));
  }
}

// Integral scalars stay integral so that `long_tensor + 1` keeps its dtype, as in Python.
inline at::Scalar scalar_of(double value, int is_integral) {
  return is_integral ? at::Scalar(static_cast<int64_t>(value)) : at::Scalar(value);
}

}  // namespace

VT_API int vt_binary(int op, T a, T b, T* out) {
  VT_TRY
  *out = wrap(binary(op, *a, *b));
  VT_CATCH
}

VT_API int vt_binary_scalar(int op, T a, double s, int is_integral, T* out) {
  VT_TRY
  *out = wrap(binary_scalar(op, *a, scalar_of(s, is_integral)));
  VT_CATCH
}

enum Inplace { iAdd, iSub, iMul, iDiv, iCopy, iFill };

VT_API int vt_inplace(int op, T a, T b) {
  VT_TRY
  switch (op) {
    case iAdd: a->add_(*b); break;
    case iSub: a->sub_(*b); break;
    case iMul: a->mul_(*b); break;
    case iDiv: a->div_(*b); break;
    case iCopy: a->copy_(*b); break;
    default: throw std::invalid_argument("unknown in-place op " + std::to_string(op));
  }
  VT_CATCH
}

VT_API int vt_inplace_scalar(int op, T a, double s, int is_integral) {
  VT_TRY
  auto v = scalar_of(s, is_integral);
  switch (op) {
    case iAdd: a->add_(v); break;
    case iSub: a->sub_(v); break;
    case iMul: a->mul_(v); break;
    case iDiv: a->div_(v); break;
    case iFill: a->fill_(v); break;
    default: throw std::invalid_argument("unknown in-place scalar op " + std::to_string(op));
  }
  VT_CATCH
}

VT_API int vt_clamp(T a, int has_min, double min, int has_max, double max, T* out) {
  VT_TRY
  // Whole-number bounds on an integer tensor stay integral so the result keeps its dtype.
  bool integral = at::isIntegralType(a->scalar_type(), /*includeBool=*/false);
  auto bound = [&](double v) {
    return integral && v == std::floor(v) ? at::Scalar(static_cast<int64_t>(v)) : at::Scalar(v);
  };
  c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(bound(min)) : c10::nullopt;
  c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(bound(max)) : c10::nullopt;
  *out = wrap(at::clamp(*a, lo, hi));
  VT_CATCH
}

VT_API int vt_where(T cond, T a, T b, T* out) {
  VT_TRY
  *out = wrap(at::where(*cond, *a, *b));
  VT_CATCH
}

VT_API int vt_masked_fill(T a, T mask, double value, T* out) {
  VT_TRY
  *out = wrap(a->masked_fill(*mask, value));
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Reductions

enum Reduce { rSum, rMean, rProd, rAmax, rAmin, rLogSumExp, rStd, rVar, rNorm, rAll, rAny };

// ndim == 0 with all_dims = 1 reduces over every dimension.
VT_API int vt_reduce(int op, T a, const int64_t* dim_list, int ndim, int keepdim, T* out) {
  VT_TRY
  const at::Tensor& x = *a;
  auto d = dims(dim_list, ndim);
  bool all = ndim == 0;
  bool k = keepdim != 0;
  at::Tensor r;
  switch (op) {
    case rSum: r = all ? x.sum() : x.sum(d, k); break;
    case rMean: r = all ? x.mean() : x.mean(d, k); break;
    case rProd:
      TORCH_CHECK(ndim <= 1, "prod reduces over one dimension at a time");
      r = all ? x.prod() : x.prod(d[0], k);
      break;
    case rAmax: r = all ? x.max() : at::amax(x, d, k); break;
    case rAmin: r = all ? x.min() : at::amin(x, d, k); break;
    case rLogSumExp: {
      std::vector<int64_t> every;
      for (int64_t i = 0; i < x.dim(); ++i) every.push_back(i);
      r = at::logsumexp(x, all ? at::IntArrayRef(every) : d, k);
      break;
    }
    case rStd: r = all ? x.std() : x.std(d, /*unbiased=*/true, k); break;
    case rVar: r = all ? x.var() : x.var(d, /*unbiased=*/true, k); break;
    case rNorm: r = all ? x.norm() : at::norm(x, 2, d, k); break;
    case rAll:
      TORCH_CHECK(ndim <= 1, "all reduces over one dimension at a time");
      r = all ? x.all() : x.all(d[0], k);
      break;
    case rAny:
      TORCH_CHECK(ndim <= 1, "any reduces over one dimension at a time");
      r = all ? x.any() : x.any(d[0], k);
      break;
    default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
  }
  *out = wrap(std::move(r));
  VT_CATCH
}

enum IndexReduce { xArgmax, xArgmin };

// has_dim == 0 reduces over the flattened tensor.
VT_API int vt_arg_reduce(int op, T a, int has_dim, int64_t dim, int keepdim, T* out) {
  VT_TRY
  c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
  *out = wrap(op == xArgmax ? at::argmax(*a, d, keepdim != 0) : at::argmin(*a, d, keepdim != 0));
  VT_CATCH
}

// max/min along a dimension, returning values and indices.
VT_API int vt_max_dim(T a, int64_t dim, int keepdim, int is_min, T* values, T* indices) {
  VT_TRY
  auto r = is_min ? at::min(*a, dim, keepdim != 0) : at::max(*a, dim, keepdim != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  VT_CATCH
}

VT_API int vt_topk(T a, int64_t k, int64_t dim, int largest, int sorted, T* values, T* indices) {
  VT_TRY
  auto r = at::topk(*a, k, dim, largest != 0, sorted != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  VT_CATCH
}

VT_API int vt_sort(T a, int64_t dim, int descending, T* values, T* indices) {
  VT_TRY
  auto r = at::sort(*a, dim, descending != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  VT_CATCH
}

VT_API int vt_cumsum(T a, int64_t dim, T* out) {
  VT_TRY
  *out = wrap(at::cumsum(*a, dim));
  VT_CATCH
}

enum SoftmaxKind { sSoftmax, sLogSoftmax };

VT_API int vt_softmax(int kind, T a, int64_t dim, T* out) {
  VT_TRY
  *out = wrap(kind == sSoftmax ? at::softmax(*a, dim) : at::log_softmax(*a, dim));
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Shape and indexing

enum ShapeOp {
  shReshape, shView, shPermute, shExpand, shRepeat, shFlatten, shTranspose, shNarrow, shSlice,
  shSelect, shUnsqueeze, shSqueeze, shTril, shTriu
};

VT_API int vt_shape_op(int op, T a, const int64_t* args, int nargs, T* out) {
  VT_TRY
  const at::Tensor& x = *a;
  auto v = dims(args, nargs);
  auto need = [&](int n) {
    TORCH_CHECK(nargs == n, "shape op ", op, " expects ", n, " arguments, got ", nargs);
  };
  at::Tensor r;
  switch (op) {
    case shReshape: r = x.reshape(v); break;
    case shView: r = x.view(v); break;
    case shPermute: r = x.permute(v); break;
    case shExpand: r = x.expand(v); break;
    case shRepeat: r = x.repeat(v); break;
    case shFlatten: need(2); r = x.flatten(args[0], args[1]); break;
    case shTranspose: need(2); r = x.transpose(args[0], args[1]); break;
    case shNarrow: need(3); r = x.narrow(args[0], args[1], args[2]); break;
    case shSlice: need(4); r = x.slice(args[0], args[1], args[2], args[3]); break;
    case shSelect: need(2); r = x.select(args[0], args[1]); break;
    case shUnsqueeze: need(1); r = x.unsqueeze(args[0]); break;
    case shSqueeze: r = nargs == 0 ? x.squeeze() : x.squeeze(args[0]); break;
    case shTril: need(1); r = at::tril(x, args[0]); break;
    case shTriu: need(1); r = at::triu(x, args[0]); break;
    default: throw std::invalid_argument("unknown shape op " + std::to_string(op));
  }
  *out = wrap(std::move(r));
  VT_CATCH
}

enum IndexOp { ixIndexSelect, ixGather };

VT_API int vt_index_op(int op, T a, int64_t dim, T index, T* out) {
  VT_TRY
  *out = wrap(op == ixIndexSelect ? at::index_select(*a, dim, *index) : at::gather(*a, dim, *index));
  VT_CATCH
}

VT_API int vt_scatter(T a, int64_t dim, T index, T src, int add, T* out) {
  VT_TRY
  *out = wrap(add ? at::scatter_add(*a, dim, *index, *src) : at::scatter(*a, dim, *index, *src));
  VT_CATCH
}

// Boolean-mask or integer index on the first dimension: a[index].
VT_API int vt_index(T a, T index, T* out) {
  VT_TRY
  c10::List<c10::optional<at::Tensor>> list;
  list.push_back(*index);
  *out = wrap(at::index(*a, list));
  VT_CATCH
}

VT_API int vt_index_put(T a, T index, T values, int accumulate) {
  VT_TRY
  c10::List<c10::optional<at::Tensor>> list;
  list.push_back(*index);
  a->index_put_(list, *values, accumulate != 0);
  VT_CATCH
}

VT_API int vt_cat(T* tensors, int count, int64_t dim, int stack, T* out) {
  VT_TRY
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) list.push_back(*tensors[i]);
  *out = wrap(stack ? at::stack(list, dim) : at::cat(list, dim));
  VT_CATCH
}

// Writes up to `capacity` handles; *count receives the number of chunks.
VT_API int vt_split(T a, int64_t size, int64_t dim, int chunks, T* outs, int capacity, int* count) {
  VT_TRY
  auto parts = chunks ? a->chunk(size, dim) : a->split(size, dim);
  TORCH_CHECK(static_cast<int>(parts.size()) <= capacity, "split produced ", parts.size(),
              " parts, more than the ", capacity, " expected");
  for (size_t i = 0; i < parts.size(); ++i) outs[i] = wrap(std::move(parts[i]));
  *count = static_cast<int>(parts.size());
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Neural-network functions

VT_API int vt_linear(T x, T w, T b, T* out) {
  VT_TRY
  *out = wrap(at::linear(*x, *w, opt(b)));
  VT_CATCH
}

VT_API int vt_embedding(T weight, T indices, int64_t padding_idx, T* out) {
  VT_TRY
  *out = wrap(at::embedding(*weight, *indices, padding_idx));
  VT_CATCH
}

VT_API int vt_layer_norm(T x, const int64_t* shape, int ndim, T w, T b, double eps, T* out) {
  VT_TRY
  *out = wrap(at::layer_norm(*x, dims(shape, ndim), opt(w), opt(b), eps));
  VT_CATCH
}

VT_API int vt_dropout(T x, double p, int train, T* out) {
  VT_TRY
  *out = wrap(at::dropout(*x, p, train != 0));
  VT_CATCH
}

VT_API int vt_conv2d(T x, T w, T b, const int64_t* stride, const int64_t* padding,
                     const int64_t* dilation, int64_t groups, T* out) {
  VT_TRY
  *out = wrap(at::conv2d(*x, *w, opt(b), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups));
  VT_CATCH
}

VT_API int vt_max_pool2d(T x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, T* out) {
  VT_TRY
  *out = wrap(at::max_pool2d(*x, dims(kernel, 2), dims(stride, 2), dims(padding, 2)));
  VT_CATCH
}

// Scaled dot-product attention over (..., L, E) queries and (..., S, E) keys/values.
// `mask` is boolean (true = attend) or additive float. `is_causal` uses the top-left aligned
// lower-triangular mask, as PyTorch 2.x does. libtorch 2.x runs its fused kernel; 1.13 composes
// the same math here, inside one call.
VT_API int vt_sdpa(T q, T k, T v, T mask, double dropout_p, int is_causal, T* out) {
  VT_TRY
#if TORCH_VERSION_MAJOR >= 2
  if (!(mask && is_causal)) {
    *out = wrap(at::scaled_dot_product_attention(*q, *k, *v, opt(mask), dropout_p, is_causal != 0));
    return 0;
  }
#endif
  // Scaling q (L×E) is cheaper than scaling the scores (L×S), and `scores` is a fresh tensor
  // that autograd does not save, so the masks are applied in place.
  const double scale = 1.0 / std::sqrt(static_cast<double>(q->size(-1)));
  const double minus_inf = -std::numeric_limits<double>::infinity();
  auto scores = at::matmul(*q * scale, k->transpose(-2, -1));
  if (is_causal) {
    auto future = at::ones({q->size(-2), k->size(-2)}, q->options().dtype(at::kBool).requires_grad(false)).triu(1);
    scores.masked_fill_(future, minus_inf);
  }
  if (mask) {
    if (mask->scalar_type() == at::kBool)
      scores.masked_fill_(mask->logical_not(), minus_inf);
    else
      scores = scores + *mask;
  }
  auto attn = at::softmax(scores, -1);
  if (dropout_p > 0) attn = at::dropout(attn, dropout_p, true);
  *out = wrap(at::matmul(attn, *v));
  VT_CATCH
}

enum LossReduction { lrNone = 0, lrMean = 1, lrSum = 2 };

VT_API int vt_cross_entropy(T logits, T target, T weight, int reduction, int64_t ignore_index,
                            double label_smoothing, T* out) {
  VT_TRY
  *out = wrap(at::cross_entropy_loss(*logits, *target, opt(weight), reduction, ignore_index, label_smoothing));
  VT_CATCH
}

VT_API int vt_mse_loss(T input, T target, int reduction, T* out) {
  VT_TRY
  *out = wrap(at::mse_loss(*input, *target, reduction));
  VT_CATCH
}

VT_API int vt_multinomial(T probs, int64_t num_samples, int replacement, T* out) {
  VT_TRY
  *out = wrap(at::multinomial(*probs, num_samples, replacement != 0));
  VT_CATCH
}

// ---------------------------------------------------------------------------------------------
// Optimizer: torch::optim::AdamW over the parameter list, so one step is one call.

namespace {

struct AdamW {
  std::vector<at::Tensor> params;
  std::unique_ptr<torch::optim::AdamW> optimizer;
};

}  // namespace

// Parameters come with a group index; each group has its own weight decay (the usual split:
// decay matrices, not biases and norms). All groups share lr, betas and eps.
VT_API int vt_adamw_new(T* params, const int* groups, int count, const double* weight_decays,
                        int group_count, double lr, double beta1, double beta2, double eps,
                        int amsgrad, void** out) {
  VT_TRY
  auto state = std::make_unique<AdamW>();
  std::vector<std::vector<at::Tensor>> members(static_cast<size_t>(group_count));
  for (int i = 0; i < count; ++i) {
    TORCH_CHECK(groups[i] >= 0 && groups[i] < group_count, "parameter ", i, " has group ", groups[i],
                " but there are ", group_count, " groups");
    state->params.push_back(*params[i]);
    members[static_cast<size_t>(groups[i])].push_back(*params[i]);
  }
  auto defaults = torch::optim::AdamWOptions(lr)
                      .betas(std::make_tuple(beta1, beta2))
                      .eps(eps)
                      .weight_decay(group_count > 0 ? weight_decays[0] : 0.0)
                      .amsgrad(amsgrad != 0);
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (int g = 0; g < group_count; ++g) {
    auto options = std::make_unique<torch::optim::AdamWOptions>(defaults);
    options->weight_decay(weight_decays[g]);
    param_groups.emplace_back(members[static_cast<size_t>(g)], std::move(options));
  }
  state->optimizer = std::make_unique<torch::optim::AdamW>(std::move(param_groups), defaults);
  *out = state.release();
  VT_CATCH
}

VT_API int vt_adamw_step(void* handle) {
  VT_TRY
  static_cast<AdamW*>(handle)->optimizer->step();
  VT_CATCH
}

// Drops gradients (set to none), which is what PyTorch 2.x does by default and saves a memset.
VT_API int vt_adamw_zero_grad(void* handle) {
  VT_TRY
  for (auto& p : static_cast<AdamW*>(handle)->params) p.mutable_grad() = at::Tensor();
  VT_CATCH
}

VT_API int vt_adamw_set_lr(void* handle, double lr) {
  VT_TRY
  for (auto& group : static_cast<AdamW*>(handle)->optimizer->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  VT_CATCH
}

VT_API double vt_adamw_get_lr(void* handle) {
  auto& group = static_cast<AdamW*>(handle)->optimizer->param_groups().front();
  return static_cast<torch::optim::AdamWOptions&>(group.options()).lr();
}

// Per-parameter state (step, first and second moments) for checkpoints that resume training.
// libtorch keys its state map by the TensorImpl address: as a string up to 1.13 (what
// c10::guts::to_string writes), as the pointer itself in later versions.
namespace {

template <typename Map>
typename Map::key_type state_key(const at::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return Key(p.unsafeGetTensorImpl());
  }
}

}  // namespace

// kind: 0 = exp_avg, 1 = exp_avg_sq, 2 = max_exp_avg_sq. *out is null before the first step.
VT_API int vt_adamw_get_state(void* handle, int index, int kind, int64_t* step, T* out) {
  VT_TRY
  auto* state = static_cast<AdamW*>(handle);
  TORCH_CHECK(index >= 0 && index < static_cast<int>(state->params.size()), "no parameter ", index);
  auto& map = state->optimizer->state();
  using Map = std::decay_t<decltype(map)>;
  auto found = map.find(state_key<Map>(state->params[static_cast<size_t>(index)]));
  *out = nullptr;
  *step = 0;
  if (found == map.end()) return 0;
  auto& s = static_cast<torch::optim::AdamWParamState&>(*found->second);
  *step = s.step();
  const at::Tensor& t = kind == 0 ? s.exp_avg() : kind == 1 ? s.exp_avg_sq() : s.max_exp_avg_sq();
  if (t.defined()) *out = wrap(t.detach().clone());
  VT_CATCH
}

VT_API int vt_adamw_set_state(void* handle, int index, int64_t step, T exp_avg, T exp_avg_sq,
                              T max_exp_avg_sq) {
  VT_TRY
  auto* state = static_cast<AdamW*>(handle);
  TORCH_CHECK(index >= 0 && index < static_cast<int>(state->params.size()), "no parameter ", index);
  const auto& p = state->params[static_cast<size_t>(index)];
  auto fit = [&](T t) {
    TORCH_CHECK(t->sizes() == p.sizes(), "optimizer state of parameter ", index, " has shape ",
                t->sizes(), " but the parameter has ", p.sizes());
    return t->detach().to(p.options().requires_grad(false)).clone();
  };
  auto s = std::make_unique<torch::optim::AdamWParamState>();
  s->step(step);
  s->exp_avg(fit(exp_avg));
  s->exp_avg_sq(fit(exp_avg_sq));
  if (max_exp_avg_sq) s->max_exp_avg_sq(fit(max_exp_avg_sq));
  auto& map = state->optimizer->state();
  using Map = std::decay_t<decltype(map)>;
  map[state_key<Map>(p)] = std::move(s);
  VT_CATCH
}

VT_API void vt_adamw_free(void* handle) { delete static_cast<AdamW*>(handle); }
