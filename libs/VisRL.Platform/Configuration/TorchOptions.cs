using System.ComponentModel.DataAnnotations;

namespace VisRL.Platform.Configuration;

/// <summary>Tensor work of this process.</summary>
[Settings("Torch")]
public sealed class TorchOptions
{
    /// <summary>Intra-op threads; 0 lets libtorch decide. A replica beside others takes 1.</summary>
    [Range(0, 256)] public int Threads { get; set; }

    /// <summary>MiB of freed CPU tensor memory kept for the next tensors instead of going back to the kernel; 0 turns the cache off.</summary>
    [Range(0, 1 << 20)] public int CpuCacheMb { get; set; } = 1024;

    /// <summary>auto, cpu or cuda:N.</summary>
    [Required, RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$")] public string Device { get; set; } = "auto";

    /// <summary>
    /// Whether cuDNN may run float32 convolutions in TF32 on a GPU. Off by default: with TF32 an H100
    /// replica sampled now and then another candidate than a CPU replica from the same seed.
    /// </summary>
    public bool Tf32 { get; set; }
}
