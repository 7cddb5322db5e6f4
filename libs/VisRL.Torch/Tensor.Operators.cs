using VisRL.Torch.Native;

namespace VisRL.Torch;

// Arithmetic operators with broadcasting. Integer scalars stay integral (long tensor + 1 is long),
// as in Python. Comparisons are methods (eq, lt, ...) so that == keeps reference semantics.
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(BinaryOp.Add, b);
    public static Tensor operator +(Tensor a, double b) => a.Binary(BinaryOp.Add, b);
    public static Tensor operator +(Tensor a, long b) => a.Binary(BinaryOp.Add, b);
    public static Tensor operator +(double a, Tensor b) => b.Binary(BinaryOp.Add, a);
    public static Tensor operator +(long a, Tensor b) => b.Binary(BinaryOp.Add, a);

    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(BinaryOp.Sub, b);
    public static Tensor operator -(Tensor a, double b) => a.Binary(BinaryOp.Sub, b);
    public static Tensor operator -(Tensor a, long b) => a.Binary(BinaryOp.Sub, b);
    public static Tensor operator -(double a, Tensor b) => b.Binary(BinaryOp.Rsub, a);
    public static Tensor operator -(long a, Tensor b) => b.Binary(BinaryOp.Rsub, a);
    public static Tensor operator -(Tensor a) => a.Unary(UnaryOp.Neg);

    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(BinaryOp.Mul, b);
    public static Tensor operator *(Tensor a, double b) => a.Binary(BinaryOp.Mul, b);
    public static Tensor operator *(Tensor a, long b) => a.Binary(BinaryOp.Mul, b);
    public static Tensor operator *(double a, Tensor b) => b.Binary(BinaryOp.Mul, a);
    public static Tensor operator *(long a, Tensor b) => b.Binary(BinaryOp.Mul, a);

    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(BinaryOp.Div, b);
    public static Tensor operator /(Tensor a, double b) => a.Binary(BinaryOp.Div, b);
    public static Tensor operator /(Tensor a, long b) => a.Binary(BinaryOp.Div, b);
    public static Tensor operator /(double a, Tensor b) => b.Binary(BinaryOp.Rdiv, a);

    public static Tensor operator %(Tensor a, long b) => a.Binary(BinaryOp.Remainder, b);

    public static Tensor operator &(Tensor a, Tensor b) => a.Binary(BinaryOp.LogicalAnd, b);
    public static Tensor operator |(Tensor a, Tensor b) => a.Binary(BinaryOp.LogicalOr, b);
    public static Tensor operator !(Tensor a) => a.Unary(UnaryOp.LogicalNot);
}
