using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Torch;

namespace VisRL.DataGeneration;

/// <summary>
/// Checkpoint reference (hash, hash prefix or id) → loaded model, fetched once into the local cache
/// folder and kept in memory for the last <c>keep</c> checkpoints used (a round uses two: policy and
/// judge). Model work runs inside <see cref="UseAsync{T}"/> under one lock: tensor work of a process
/// is serialized anyway (CPU threads are the limit), and an evicted model is never in use when it is
/// disposed. Models load onto <c>device</c> (null: the CPU).
/// </summary>
public sealed class ModelCache(CheckpointStore checkpoints, string cacheFolder, int keep = 2, Device? device = null) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly LinkedList<(string Hash, VisRLTiny Model)> _loaded = new(); // most recently used first

    /// <summary>Runs <paramref name="work"/> with the checkpoint's model; the second argument is its full content hash.</summary>
    /// <exception cref="KeyNotFoundException">No checkpoint matches the reference.</exception>
    /// <exception cref="CheckpointException">The fetched files are corrupt or inconsistent (names the file).</exception>
    public async Task<T> UseAsync<T>(string reference, Func<VisRLTiny, string, T> work, CancellationToken cancellationToken = default)
    {
        var checkpoint = await checkpoints.ResolveAsync(reference, cancellationToken);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var model = await GetAsync(checkpoint, cancellationToken);
            return work(model, checkpoint.ContentHash);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Content hashes of the models in memory, most recently used first.</summary>
    public IReadOnlyList<string> Loaded => [.. _loaded.Select(l => l.Hash)];

    private async Task<VisRLTiny> GetAsync(CheckpointRef checkpoint, CancellationToken cancellationToken)
    {
        for (var node = _loaded.First; node is not null; node = node.Next)
        {
            if (node.Value.Hash != checkpoint.ContentHash) continue;
            _loaded.Remove(node);
            _loaded.AddFirst(node);
            return node.Value.Model;
        }
        Directory.CreateDirectory(cacheFolder);
        var folder = await checkpoints.FetchAsync(checkpoint, cacheFolder, cancellationToken);
        var model = ModelCheckpoint.Load(folder, device);
        _loaded.AddFirst((checkpoint.ContentHash, model));
        while (_loaded.Count > keep)
        {
            _loaded.Last!.Value.Model.Dispose();
            _loaded.RemoveLast();
        }
        return model;
    }

    public void Dispose()
    {
        foreach (var (_, model) in _loaded) model.Dispose();
        _loaded.Clear();
        _lock.Dispose();
    }
}
