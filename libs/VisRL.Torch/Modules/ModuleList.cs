using System.Collections;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>Submodules registered as "0", "1", ... (e.g. a decoder's layers), so state-dict keys read "layers.3.attn.weight".</summary>
public sealed class ModuleList<T> : nn.Module, IReadOnlyList<T> where T : nn.Module
{
    private readonly List<T> _items = [];

    public ModuleList(IEnumerable<T> modules) : base(nameof(ModuleList<T>))
    {
        foreach (var module in modules) Add(module);
    }

    public void Add(T module) => _items.Add(register_module(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    public T this[int index] => _items[index];
    public int Count => _items.Count;
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
