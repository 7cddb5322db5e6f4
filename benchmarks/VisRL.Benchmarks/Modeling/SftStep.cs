using System.Diagnostics;
using VisRL.Modeling;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Modeling;

/// <summary>
/// The benchmarks' SFT step, as modeling_peer.py runs it: masked cross-entropy, AdamW in two decay
/// groups (beta2 0.98), gradients clipped at 1.0, on the model's device. On a GPU a step ends when
/// its kernels have run.
/// </summary>
internal sealed class SftStep : IDisposable
{
    private readonly VisRLTiny _model;
    private readonly List<Tensor> _parameters;
    private readonly VisRL.Torch.Optimizers.AdamW _optimizer;

    public SftStep(VisRLTiny model)
    {
        _model = model;
        _parameters = model.Model.parameters().ToList();
        _optimizer = optim.AdamW([new VisRL.Torch.Optimizers.ParamGroup(_parameters.Where(p => p.dim() >= 2), 0.05),
            new VisRL.Torch.Optimizers.ParamGroup(_parameters.Where(p => p.dim() < 2), 0.0)], lr: 1e-3, beta2: 0.98);
        model.Model.train();
    }

    public void Run(Batch batch)
    {
        using (NewDisposeScope())
        {
            _optimizer.zero_grad();
            Losses.MaskedCrossEntropy(_model.Model.forward(batch.Input), batch.Targets, batch.ResponseMask).backward();
            nn.utils.clip_grad_norm_(_parameters, 1.0);
            _optimizer.step();
        }
        if (_model.Model.Device.type == DeviceType.CUDA) cuda.synchronize();
    }

    /// <summary>Seconds of each of <paramref name="repeats"/> steps on <paramref name="batch"/>.</summary>
    public List<double> Time(Batch batch, int repeats)
    {
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            Run(batch);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return times;
    }

    public void Dispose() => _optimizer.Dispose();
}
