namespace VisRL.Torch;

/// <summary>A libtorch error (shape or dtype mismatch, bad index, ...) with libtorch's own message.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
