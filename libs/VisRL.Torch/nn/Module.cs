namespace VisRL.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of all modules: parameters, buffers and submodules registered by name (explicitly, no
        /// reflection), a dotted-name state dict, train/eval mode and device moves. The module owns
        /// its parameters and buffers: they are taken out of any dispose scope and freed by
        /// <see cref="Dispose()"/>.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Tensor Tensor)> _parameters = [];
            private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = [];
            private readonly List<(string Name, Module Module)> _modules = [];
            private bool _disposed;

            protected Module(string name) => GetName = name;

            /// <summary>The module's type name, as TorchSharp's <c>GetName()</c>.</summary>
            public string GetName { get; }

            public bool training { get; private set; } = true;

            public Tensor register_parameter(string name, Tensor parameter, bool requires_grad = true)
            {
                CheckNewName(name);
                parameter.DetachFromDisposeScope();
                if (parameter.requires_grad != requires_grad) parameter.requires_grad = requires_grad;
                _parameters.Add((name, parameter));
                return parameter;
            }

            /// <summary>State that is not trained (e.g. a causal mask); persistent buffers are part of the state dict.</summary>
            public Tensor register_buffer(string name, Tensor buffer, bool persistent = true)
            {
                CheckNewName(name);
                buffer.DetachFromDisposeScope();
                _buffers.Add((name, buffer, persistent));
                return buffer;
            }

            public T register_module<T>(string name, T module) where T : Module
            {
                CheckNewName(name);
                _modules.Add((name, module));
                return module;
            }

            private void CheckNewName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"'{name}' is not a valid member name (empty or contains '.')", nameof(name));
                if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _modules.Any(m => m.Name == name))
                    throw new ArgumentException($"{GetName} already has a member named '{name}'", nameof(name));
            }

            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true)
            {
                foreach (var (name, tensor) in _parameters) yield return (name, tensor);
                if (!recurse) yield break;
                foreach (var (prefix, child) in _modules)
                    foreach (var (name, tensor) in child.named_parameters())
                        yield return ($"{prefix}.{name}", tensor);
            }

            public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true) =>
                NamedBuffers(recurse, persistentOnly: false);

            private IEnumerable<(string name, Tensor buffer)> NamedBuffers(bool recurse, bool persistentOnly)
            {
                foreach (var (name, tensor, persistent) in _buffers)
                    if (persistent || !persistentOnly) yield return (name, tensor);
                if (!recurse) yield break;
                foreach (var (prefix, child) in _modules)
                    foreach (var (name, tensor) in child.NamedBuffers(true, persistentOnly))
                        yield return ($"{prefix}.{name}", tensor);
            }

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(m => (m.Name, m.Module));

            public IEnumerable<(string name, Module module)> named_modules()
            {
                yield return ("", this);
                foreach (var (prefix, child) in _modules)
                    foreach (var (name, module) in child.named_modules())
                        yield return (name.Length == 0 ? prefix : $"{prefix}.{name}", module);
            }

            /// <summary>
            /// Parameters and persistent buffers by dotted name. The tensors are the module's own (not
            /// copies): do not dispose them.
            /// </summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var result = new Dictionary<string, Tensor>();
                foreach (var (name, tensor) in named_parameters()) result[name] = tensor;
                foreach (var (name, tensor) in NamedBuffers(true, persistentOnly: true)) result[name] = tensor;
                return result;
            }

            /// <summary>
            /// Copies values into the module's tensors (converting dtype and device as needed). A shape
            /// mismatch always fails; with <paramref name="strict"/>, missing or unexpected keys fail too.
            /// On failure nothing is copied.
            /// </summary>
            public LoadStateDictResult load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                var mismatched = new List<string>();
                foreach (var (name, target) in own)
                {
                    if (!source.TryGetValue(name, out var value)) continue;
                    var expected = target.shape;
                    var given = value.shape;
                    if (!expected.AsSpan().SequenceEqual(given))
                        mismatched.Add($"{name}: checkpoint has [{string.Join(", ", given)}], model expects [{string.Join(", ", expected)}]");
                }
                if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
                    throw new StateDictMismatchException(GetName, missing, unexpected, mismatched, strict);

                using var noGrad = no_grad();
                foreach (var (name, target) in own)
                    if (source.TryGetValue(name, out var value)) target.copy_(value);
                return new LoadStateDictResult(missing, unexpected);
            }

            public Module train(bool on = true)
            {
                foreach (var (_, module) in named_modules()) module.training = on;
                return this;
            }

            public Module eval() => train(false);

            /// <summary>
            /// Moves every parameter and buffer in place: their identities stay, so an optimizer created
            /// earlier still updates them (its moment buffers are created at its first step, so move first).
            /// </summary>
            public Module to(Device device) => Apply(t => t.to(device));

            public Module to(ScalarType dtype) => Apply(t => t.dtype.IsFloatingPoint() ? t.to(dtype) : null);

            public Module to(Device device, ScalarType dtype) => to(device).to(dtype);

            private Module Apply(Func<Tensor, Tensor?> convert)
            {
                using var noGrad = no_grad();
                foreach (var tensor in named_parameters().Select(p => p.parameter).Concat(named_buffers().Select(b => b.buffer)))
                {
                    using var converted = convert(tensor)?.DetachFromDisposeScope();
                    if (converted is null) continue;
                    tensor.grad = null;
                    tensor.set_data(converted);
                }
                return this;
            }

            public void zero_grad()
            {
                foreach (var parameter in parameters()) parameter.grad = null;
            }

            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            protected virtual void Dispose(bool disposing)
            {
                if (_disposed || !disposing) return;
                _disposed = true;
                foreach (var (_, tensor) in _parameters) tensor.Dispose();
                foreach (var (_, tensor, _) in _buffers) tensor.Dispose();
                foreach (var (_, module) in _modules) module.Dispose();
            }
        }

        /// <summary>A module with one input.</summary>
        public abstract class Module<TInput, TResult>(string name) : Module(name)
        {
            public abstract TResult forward(TInput input);

            public TResult call(TInput input) => forward(input);
        }

        /// <summary>A module with two inputs.</summary>
        public abstract class Module<TInput1, TInput2, TResult>(string name) : Module(name)
        {
            public abstract TResult forward(TInput1 input1, TInput2 input2);

            public TResult call(TInput1 input1, TInput2 input2) => forward(input1, input2);
        }

        /// <summary>Marks a tensor as a trainable parameter: out of any dispose scope, with requires_grad.</summary>
        public static Tensor Parameter(Tensor data, bool requires_grad = true)
        {
            data.DetachFromDisposeScope();
            data.requires_grad = requires_grad;
            return data;
        }
    }
}
