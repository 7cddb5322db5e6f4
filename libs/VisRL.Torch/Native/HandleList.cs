using System.Runtime.InteropServices;

namespace VisRL.Torch.Native;

/// <summary>
/// Raw pointers of several tensors for one native call (cat, stack, optimizer parameters), each
/// kept alive with a SafeHandle reference until disposed.
/// </summary>
internal readonly struct HandleList : IDisposable
{
    private readonly SafeHandle[] _handles;
    private readonly int _count;

    public HandleList(IReadOnlyList<Tensor> tensors)
    {
        _handles = new SafeHandle[tensors.Count];
        Pointers = new IntPtr[tensors.Count];
        _count = 0;
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                var handle = tensors[i].Handle;
                var added = false;
                handle.DangerousAddRef(ref added);
                _handles[i] = handle;
                _count = i + 1;
                Pointers[i] = handle.DangerousGetHandle();
            }
        }
        catch
        {
            Release();
            throw;
        }
    }

    public IntPtr[] Pointers { get; }

    public void Dispose() => Release();

    private void Release()
    {
        for (var i = 0; i < _count; i++) _handles[i].DangerousRelease();
    }
}
