using VisRL.Torch.Native;

namespace VisRL.Torch.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter: weight decay decoupled from the gradient) run by libtorch's
/// torch::optim::AdamW, so a step is one native call over all parameters.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private readonly OptimizerHandle _handle;
    private readonly IReadOnlyList<Tensor> _parameters;

    internal AdamW(IReadOnlyList<ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool amsgrad)
    {
        var parameters = new List<Tensor>();
        var groupOf = new List<int>();
        for (var g = 0; g < groups.Count; g++)
            foreach (var parameter in groups[g].Parameters)
            {
                parameters.Add(parameter);
                groupOf.Add(g);
            }
        _parameters = parameters;
        InitialLearningRate = lr;
        var decays = groups.Select(g => g.WeightDecay).ToArray();
        var groupIndexes = groupOf.ToArray();
        using var handles = new HandleList(parameters);
        IntPtr native;
        fixed (IntPtr* p = handles.Pointers)
        fixed (int* gi = groupIndexes)
        fixed (double* wd = decays)
            NativeMethods.Check(NativeMethods.vt_adamw_new(p, gi, parameters.Count, wd, decays.Length, lr, beta1, beta2, eps, amsgrad ? 1 : 0, out native));
        _handle = new OptimizerHandle(native);
    }

    /// <summary>The learning rate the optimizer was created with (schedules scale from it).</summary>
    public double InitialLearningRate { get; }

    public IReadOnlyList<Tensor> Parameters => _parameters;

    public double LearningRate
    {
        get => NativeMethods.vt_adamw_get_lr(Handle);
        set => NativeMethods.Check(NativeMethods.vt_adamw_set_lr(Handle, value));
    }

    private OptimizerHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    public void step() => NativeMethods.Check(NativeMethods.vt_adamw_step(Handle));

    /// <summary>Drops the parameters' gradients (set to none, PyTorch 2.x's default).</summary>
    public void zero_grad() => NativeMethods.Check(NativeMethods.vt_adamw_zero_grad(Handle));

    /// <summary>
    /// The optimizer's per-parameter state, keyed "{index}.step", "{index}.exp_avg",
    /// "{index}.exp_avg_sq" (and "{index}.max_exp_avg_sq" with amsgrad) in parameter order — ready
    /// for <see cref="Safetensors.Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>.
    /// Parameters that have not been stepped yet have no entries. The caller owns the tensors.
    /// </summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var result = new Dictionary<string, Tensor>();
        for (var i = 0; i < _parameters.Count; i++)
        {
            string[] names = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
            for (var kind = 0; kind < names.Length; kind++)
            {
                NativeMethods.Check(NativeMethods.vt_adamw_get_state(Handle, i, kind, out var step, out var tensor));
                if (tensor == IntPtr.Zero) continue;
                result[$"{i}.{names[kind]}"] = new Tensor(tensor).DetachFromDisposeScope();
                if (kind == 0) result[$"{i}.step"] = torch.scalar_tensor(step, ScalarType.Int64).DetachFromDisposeScope();
            }
        }
        return result;
    }

    /// <summary>Restores state written by <see cref="state_dict"/> (copied to each parameter's device and dtype).</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        var known = new HashSet<string>();
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (!state.TryGetValue($"{i}.exp_avg", out var expAvg)) continue;
            if (!state.TryGetValue($"{i}.exp_avg_sq", out var expAvgSq) || !state.TryGetValue($"{i}.step", out var step))
                throw new InvalidDataException($"optimizer state of parameter {i} is incomplete (needs exp_avg, exp_avg_sq and step)");
            state.TryGetValue($"{i}.max_exp_avg_sq", out var maxExpAvgSq);
            NativeMethods.Check(NativeMethods.vt_adamw_set_state(Handle, i, step.item<long>(), expAvg.Handle, expAvgSq.Handle, maxExpAvgSq?.Handle ?? TensorHandle.Null));
            known.UnionWith([$"{i}.exp_avg", $"{i}.exp_avg_sq", $"{i}.step", $"{i}.max_exp_avg_sq"]);
        }
        var unexpected = state.Keys.Where(k => !known.Contains(k)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"optimizer state has keys for no parameter of this optimizer: {string.Join(", ", unexpected)}");
    }

    public void Dispose() => _handle.Dispose();
}
