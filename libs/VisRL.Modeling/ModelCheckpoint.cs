using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>A checkpoint file that is missing, corrupt, or does not fit the others; the message names the file and the problem.</summary>
public sealed class CheckpointException(string file, string problem, Exception? inner = null)
    : Exception($"checkpoint file {file}: {problem}", inner)
{
    public string File { get; } = file;
}

/// <summary>
/// A checkpoint folder: model.safetensors + config.json + tokenizer.json (+ trainer_state.json and
/// optimizer.safetensors for a training checkpoint), and manifest.json with each file's SHA-256 and
/// the checkpoint's content hash: SHA-256 over "name:sha256\n" of the files in a fixed order
/// (config, tokenizer, weights, then trainer files), so identical contents give the same address.
/// Load verifies every hash before reading, so a corrupt file is reported as such (not as a
/// confusing shape error), and then checks that config, tokenizer and weights agree.
/// </summary>
public static class ModelCheckpoint
{
    public const string ConfigFile = "config.json", TokenizerFile = "tokenizer.json", WeightsFile = "model.safetensors", ManifestFile = "manifest.json";
    public const string TrainerStateFile = "trainer_state.json", OptimizerFile = "optimizer.safetensors";
    private static readonly string[] Order = [ConfigFile, TokenizerFile, WeightsFile, TrainerStateFile, OptimizerFile];

    /// <summary>Writes the model's files and the manifest; returns the content hash. Extra files (trainer state) must already be in the folder.</summary>
    public static string Save(VisRLTiny model, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ConfigFile), model.Config.ToJson());
        model.Tokenizer.Save(Path.Combine(folder, TokenizerFile));
        Safetensors.SaveModule(model.Model, Path.Combine(folder, WeightsFile), new Dictionary<string, string> { ["format"] = "visrl-tiny" });
        return WriteManifest(folder);
    }

    internal static string WriteManifest(string folder)
    {
        var files = new JsonObject();
        var all = new StringBuilder();
        foreach (var name in Order)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var sha = FileSha256(path);
            files[name] = sha;
            all.Append(name).Append(':').Append(sha).Append('\n');
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(all.ToString())));
        var manifest = new JsonObject { ["format"] = "visrl-tiny-checkpoint", ["content_hash"] = hash, ["files"] = files };
        File.WriteAllText(Path.Combine(folder, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return hash;
    }

    /// <summary>The content hash recorded in the folder's manifest (after verifying every file against it).</summary>
    public static string Verify(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new CheckpointException(manifestPath, "missing (not a checkpoint folder, or an interrupted save)");
        JsonObject manifest;
        try { manifest = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject ?? throw new InvalidDataException("not a JSON object"); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { throw new CheckpointException(manifestPath, $"unreadable: {e.Message}", e); }
        var files = manifest["files"] as JsonObject ?? throw new CheckpointException(manifestPath, "has no 'files'");
        foreach (var required in new[] { ConfigFile, TokenizerFile, WeightsFile })
            if (!files.ContainsKey(required)) throw new CheckpointException(manifestPath, $"does not list {required}");
        var all = new StringBuilder();
        foreach (var name in Order)
        {
            if (!files.TryGetPropertyValue(name, out var expectedNode)) continue;
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new CheckpointException(path, "missing");
            var sha = FileSha256(path);
            if (sha != (string?)expectedNode)
                throw new CheckpointException(path, $"corrupt: SHA-256 {sha[..12]}… differs from the manifest's {((string?)expectedNode ?? "")[..Math.Min(12, ((string?)expectedNode ?? "").Length)]}…");
            all.Append(name).Append(':').Append(sha).Append('\n');
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(all.ToString())));
        if (hash != (string?)manifest["content_hash"]) throw new CheckpointException(manifestPath, "content_hash does not match its files");
        return hash;
    }

    /// <summary>Loads and checks a checkpoint: hashes, then config ↔ tokenizer ↔ weights.</summary>
    public static VisRLTiny Load(string folder, Device? device = null)
    {
        Verify(folder);
        var configPath = Path.Combine(folder, ConfigFile);
        var tokenizerPath = Path.Combine(folder, TokenizerFile);
        var weightsPath = Path.Combine(folder, WeightsFile);
        ModelConfig config;
        try
        {
            config = ModelConfig.FromJson(File.ReadAllText(configPath));
            config.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidDataException) { throw new CheckpointException(configPath, $"invalid: {e.Message}", e); }
        Tokenizer tokenizer;
        try { tokenizer = Tokenizer.Load(tokenizerPath); }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidDataException) { throw new CheckpointException(tokenizerPath, $"invalid: {e.Message}", e); }
        if (tokenizer.VocabSize != config.VocabSize)
            throw new CheckpointException(tokenizerPath, $"has {tokenizer.VocabSize} tokens but {ConfigFile} says vocab_size {config.VocabSize}");
        if (config.CoordinateFrequencies > 0 && (config.LocationBins != tokenizer.LocationBins || config.FirstLocationToken != tokenizer.FirstLocId))
            throw new CheckpointException(tokenizerPath, $"has {tokenizer.LocationBins} location tokens from id {tokenizer.FirstLocId} but {ConfigFile} says {config.LocationBins} from id {config.FirstLocationToken}");
        var model = new VisRLTiny(config, tokenizer);
        try
        {
            var weights = Safetensors.Load(weightsPath);
            try { model.Model.load_state_dict(weights); }
            finally { foreach (var t in weights.Values) t.Dispose(); }
        }
        catch (StateDictMismatchException e)
        {
            model.Dispose();
            throw new CheckpointException(weightsPath, $"does not match {ConfigFile}: {e.Message}", e);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            model.Dispose();
            throw new CheckpointException(weightsPath, $"unreadable: {e.Message}", e);
        }
        if (device is { } d) model.Model.to(d);
        return model;
    }

    private static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
