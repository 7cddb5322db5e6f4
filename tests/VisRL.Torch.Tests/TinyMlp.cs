using VisRL.Torch.Modules;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

/// <summary>A two-layer model with nested submodules, used by the module and memory tests.</summary>
internal sealed class TinyMlp : nn.Module<Tensor, Tensor>
{
    public TinyMlp(long input = 8, long hidden = 16, long output = 4) : base(nameof(TinyMlp))
    {
        Norm = register_module("norm", nn.LayerNorm(input));
        Hidden = register_module("hidden", nn.Linear(input, hidden));
        Out = register_module("out", nn.Linear(hidden, output));
        Drop = register_module("drop", nn.Dropout(0.5));
        Scale = register_parameter("scale", ones([output]));
        register_buffer("steps", zeros([1], int64));
        register_buffer("scratch", zeros([2]), persistent: false);
    }

    public LayerNorm Norm { get; }
    public Linear Hidden { get; }
    public Linear Out { get; }
    public Modules.Dropout Drop { get; }
    public Tensor Scale { get; }

    public override Tensor forward(Tensor input) =>
        Out.call(Drop.call(nn.functional.gelu(Hidden.call(Norm.call(input))))) * Scale;
}
