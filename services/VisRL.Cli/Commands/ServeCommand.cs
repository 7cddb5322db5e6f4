using System.CommandLine;
using Microsoft.Extensions.Hosting;
using VisRL.Cli.Infrastructure;
using VisRL.DataGeneration;
using VisRL.Modeling;
using VisRL.Platform.Configuration;
using VisRL.Serving;
using VisRL.Torch;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl serve`: a VisRL-Tiny checkpoint behind an OpenAI-compatible API (/v1/models,
/// /v1/chat/completions), so any OpenAI client — and the HTTP backends of the Sampler and Critic —
/// can use it. The checkpoint is a local folder (with manifest.json) or a stored reference (hash,
/// hash prefix or id, fetched through the checkpoint store of the running stack).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "Checkpoint folder (with manifest.json), or a stored checkpoint: hash, hash prefix (8+), id, or stage:NAME (the newest of that stage)", Required = true,
        };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port; the address is printed)", DefaultValueFactory = _ => 8000 };
        var host = new Option<string>("--host") { Description = "Interface to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var modelName = new Option<string?>("--model-name") { Description = "Model id clients name (default visrl-tiny-HASH12)" };
        var apiKeyEnv = new Option<string?>("--api-key-env") { Description = "Environment variable holding the API key clients must send (none: no key)" };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0 = libtorch's choice)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda:N", DefaultValueFactory = _ => "cpu" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Largest max_tokens a request may ask for", DefaultValueFactory = _ => 64 };
        var command = new Command("serve", "Serve a VisRL-Tiny checkpoint with an OpenAI-compatible chat-completions API.")
            { checkpoint, port, host, modelName, apiKeyEnv, threads, device, maxTokens };
        command.SetAction(async (parse, ct) =>
        {
            string? apiKey = null;
            if (parse.GetValue(apiKeyEnv) is { Length: > 0 } variable)
            {
                apiKey = Environment.GetEnvironmentVariable(variable);
                if (string.IsNullOrEmpty(apiKey))
                {
                    Console.Error.WriteLine($"error: --api-key-env {variable}: the environment variable is not set or empty");
                    return 2;
                }
            }
            if (parse.GetValue(threads) is > 0 and var n) TorchRuntime.SetNumThreads(n);
            VisRLTiny model;
            string hash;
            try
            {
                (var folder, hash) = await LocateAsync(parse.GetValue(checkpoint)!, ct);
                model = ModelCheckpoint.Load(folder, DataGenerationExtensions.DeviceOf(new TorchOptions { Device = parse.GetValue(device)! }));
            }
            catch (Exception e) when (e is CheckpointException or KeyNotFoundException or ArgumentException)
            {
                Console.Error.WriteLine($"error: --checkpoint {parse.GetValue(checkpoint)}: {e.Message}");
                return 1;
            }
            using var _ = model;
            var options = new ServingOptions
            {
                ModelId = parse.GetValue(modelName) ?? OpenAiEndpoints.ModelIdOf(hash), ApiKey = apiKey, MaxTokens = parse.GetValue(maxTokens),
            };
            await using var app = ServingHost.Build(new TinyChatModel(model), options, parse.GetValue(host)!, parse.GetValue(port));
            await app.StartAsync(ct);
            Console.WriteLine($"serving {options.ModelId} (checkpoint {hash}) at {app.Address()}/v1{(apiKey is null ? "" : " (API key required)")}");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>A local checkpoint folder as is; anything else is resolved and fetched through the stack's checkpoint store.</summary>
    private static async Task<(string Folder, string Hash)> LocateAsync(string reference, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(reference, ModelCheckpoint.ManifestFile)))
            return (Path.GetFullPath(reference), ModelCheckpoint.Verify(reference));
        if (Directory.Exists(reference))
            throw new CheckpointException(Path.Combine(reference, ModelCheckpoint.ManifestFile), "missing (not a checkpoint folder)");
        var stores = new CliStores();
        const string stagePrefix = "stage:";
        var stored = reference.StartsWith(stagePrefix, StringComparison.Ordinal)
            ? await stores.Checkpoints.LatestAsync(reference[stagePrefix.Length..], ct) ?? throw new KeyNotFoundException($"no checkpoint of stage '{reference[stagePrefix.Length..]}'")
            : await stores.Checkpoints.ResolveAsync(reference, ct);
        return (await stores.Checkpoints.FetchAsync(stored, Path.Combine(stores.WorkFolder, "cache"), ct), stored.ContentHash);
    }
}
