namespace VisRL.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost open scope and disposes
/// them when the scope is disposed, so a training loop frees native memory at each step instead of
/// waiting for the garbage collector. Keep a result with <see cref="MoveToOuter"/> or
/// <see cref="Tensor.DetachFromDisposeScope"/>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private readonly DisposeScope? _outer;
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    /// <summary>Tensors currently owned by this scope.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor tensor)
    {
        _tensors.Add(tensor);
        tensor.Scope = this;
    }

    internal void Remove(Tensor tensor)
    {
        _tensors.Remove(tensor);
        tensor.Scope = null;
    }

    /// <summary>Hands the tensor to the enclosing scope (or to no scope) so it outlives this one.</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        if (tensor.Scope != this) return tensor;
        Remove(tensor);
        _outer?.Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _tensors)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
        _tensors.Clear();
        // Scopes nest like `using` blocks; restoring the outer one also covers out-of-order disposal.
        if (_current == this) _current = _outer;
    }
}
