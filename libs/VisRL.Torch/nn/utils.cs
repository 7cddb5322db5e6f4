using VisRL.Torch.Native;

namespace VisRL.Torch;

public static unsafe partial class torch
{
    public static partial class nn
    {
        public static class utils
        {
            /// <summary>
            /// Scales the gradients of <paramref name="parameters"/> in place so that their joint norm is at
            /// most <paramref name="max_norm"/>; returns the norm before clipping.
            /// </summary>
            public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2.0)
            {
                var list = parameters as IReadOnlyList<Tensor> ?? parameters.ToList();
                using var handles = new HandleList(list);
                fixed (IntPtr* p = handles.Pointers)
                {
                    NativeMethods.Check(NativeMethods.vt_clip_grad_norm(p, list.Count, max_norm, norm_type, out var total));
                    return total;
                }
            }
        }
    }
}
