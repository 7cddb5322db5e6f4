using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>2-D convolution; with kernel = stride = patch size it is a ViT patch embedding.</summary>
public sealed class Conv2d : nn.Module<Tensor, Tensor>
{
    private readonly long[] _stride;
    private readonly long[] _padding;

    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool hasBias = true)
        : base(nameof(Conv2d))
    {
        _stride = [stride, stride];
        _padding = [padding, padding];
        var bound = 1.0 / Math.Sqrt(inChannels * kernelSize * kernelSize);
        weight = register_parameter(nameof(weight), Init.Uniform([outChannels, inChannels, kernelSize, kernelSize], bound));
        if (hasBias) bias = register_parameter(nameof(bias), Init.Uniform([outChannels], bound));
    }

    public Tensor weight { get; }
    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.conv2d(input, weight, bias, _stride, _padding);
}
