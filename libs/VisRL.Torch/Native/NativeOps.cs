namespace VisRL.Torch.Native;

// Op codes of the shim's operation families; the order mirrors the enums in native/visrl_torch.cpp.

internal enum UnaryOp
{
    Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sigmoid, LogSigmoid, Relu, Gelu, GeluTanh, Silu, Tanh, Sin, Cos,
    Contiguous, Clone, Detach, Floor, Ceil, Round, LogicalNot, Sign, Square, IsNan, IsFinite,
    ZerosLike, OnesLike, RandnLike, RandLike, Log1p, Expm1, Reciprocal, ChannelsLast,
}

internal enum BinaryOp
{
    Add, Sub, Mul, Div, Matmul, Bmm, Pow, Eq, Ne, Lt, Le, Gt, Ge, Maximum, Minimum, LogicalAnd,
    LogicalOr, Remainder, FloorDivide, Rsub, Rdiv, Rpow,
}

internal enum InplaceOp { Add, Sub, Mul, Div, Copy, Fill }

internal enum ReduceOp { Sum, Mean, Prod, Amax, Amin, LogSumExp, Std, Var, Norm, All, Any }

internal enum ShapeOp
{
    Reshape, View, Permute, Expand, Repeat, Flatten, Transpose, Narrow, Slice, Select, Unsqueeze,
    Squeeze, Tril, Triu,
}

internal enum CreateKind { Zeros, Ones, Empty, Full, Randn, Rand }
