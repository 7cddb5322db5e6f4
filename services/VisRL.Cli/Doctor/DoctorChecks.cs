using System.Diagnostics;
using Azure.Storage.Blobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using VisRL.Cli.Infrastructure;
using VisRL.Imaging;
using VisRL.Platform.Blobs;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Torch;

namespace VisRL.Cli.Doctor;

/// <summary>
/// `visrl doctor`: checks settings, broker (and its _error queues), database, blob storage, libtorch, JPEG and GPU, and for
/// each failure says what is wrong and how to fix it. Each check is independent: one dead server
/// does not hide the state of the others.
/// </summary>
internal sealed class DoctorChecks(IConfiguration configuration)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private const string StackFix = "start the local stack with `./visrl stack up`, or correct ";

    public async Task<IReadOnlyList<CheckResult>> RunAsync(bool measureMatmul, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult> { CheckSettings() };
        var broker = await Guarded("broker", () => CheckBrokerAsync(cancellationToken));
        results.Add(broker);
        results.Add(broker.Status == CheckStatus.Ok
            ? await Guarded("error queues", () => CheckErrorQueuesAsync(cancellationToken))
            : CheckResult.Info("error queues", "not checked: the broker is not reachable"));
        results.Add(await Guarded("database", () => CheckDatabaseAsync(cancellationToken)));
        results.Add(await Guarded("blob storage", () => CheckBlobsAsync(cancellationToken)));
        results.Add(await Guarded("libtorch", () => Task.FromResult(CheckLibtorch(measureMatmul))));
        results.Add(await Guarded("jpeg", () => Task.FromResult(CheckJpeg())));
        results.Add(await Guarded("gpu", () => Task.FromResult(CheckGpu())));
        return results;
    }

    private CheckResult CheckSettings()
    {
        var errors = CliSettings.Catalog().FindUnknown(Environment.GetEnvironmentVariables().Keys.Cast<string>()).ToList();
        foreach (var validate in new Action[]
                 {
                     () => configuration.GetVisRLSettings<MessagingOptions>(),
                     () => configuration.GetVisRLSettings<DatabaseOptions>(),
                     () => configuration.GetVisRLSettings<BlobOptions>(),
                 })
        {
            try { validate(); }
            catch (OptionsValidationException e) { errors.AddRange(e.Failures); }
        }
        return errors.Count == 0
            ? CheckResult.Ok("settings", "all settings valid")
            : CheckResult.Failed("settings", string.Join("; ", errors), "correct or remove the settings named above");
    }

    private async Task<CheckResult> CheckBrokerAsync(CancellationToken cancellationToken)
    {
        var o = configuration.GetVisRLSettings<MessagingOptions>();
        var settings = $"{SettingKey.ToEnvironment("Messaging:Host")} / {SettingKey.ToEnvironment("Messaging:Port")}";
        var factory = MessagingExtensions.BrokerConnectionFactory(o);
        factory.RequestedConnectionTimeout = Timeout;
        try
        {
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            var version = connection.ServerProperties?.TryGetValue("version", out var v) == true && v is byte[] bytes
                ? System.Text.Encoding.UTF8.GetString(bytes) : "?";
            return CheckResult.Ok("broker", $"RabbitMQ {version} at {o.Host}:{o.Port}{o.VirtualHost}");
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException e) when (e.InnerException is RabbitMQ.Client.Exceptions.AuthenticationFailureException)
        {
            return CheckResult.Failed("broker", $"RabbitMQ at {o.Host}:{o.Port} rejected user '{o.Username}'",
                $"correct {SettingKey.ToEnvironment("Messaging:Username")} / {SettingKey.ToEnvironment("Messaging:Password")}");
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or System.Net.Sockets.SocketException)
        {
            return CheckResult.Failed("broker", $"RabbitMQ at {o.Host}:{o.Port} is unreachable ({Innermost(e)})", StackFix + settings);
        }
    }

    /// <summary>Work parked in the broker's _error queues is a warning: it waits for someone to read why (`visrl errors`).</summary>
    private async Task<CheckResult> CheckErrorQueuesAsync(CancellationToken cancellationToken)
    {
        List<ErrorQueueDepth> queues;
        try
        {
            queues = await new ErrorQueueBroker(configuration.GetVisRLSettings<MessagingOptions>()).ListAsync(cancellationToken);
        }
        catch (InvalidOperationException e) // the management API: unreachable or refusing
        {
            return CheckResult.Warning("error queues", $"cannot list them: {e.Message}",
                $"turn on RabbitMQ's management plugin, or correct {SettingKey.ToEnvironment("Messaging:ManagementPort")}");
        }
        var holding = queues.Where(q => q.Messages > 0).ToList();
        return holding.Count == 0
            ? CheckResult.Ok("error queues", $"no failed messages ({queues.Count} _error and _skipped queue(s))")
            : CheckResult.Warning("error queues",
                $"{holding.Sum(q => q.Messages)} message(s) wait in {string.Join(", ", holding.Select(q => $"{q.Queue} ({q.Messages})"))}",
                "`./visrl errors show QUEUE` prints why; `retry` moves them back once mended, `purge --yes` drops them");
    }

    private async Task<CheckResult> CheckDatabaseAsync(CancellationToken cancellationToken)
    {
        var o = configuration.GetVisRLSettings<DatabaseOptions>();
        var setting = SettingKey.ToEnvironment("Database:ConnectionString");
        var endpoint = PersistenceExtensions.DatabaseEndpoint(o);
        var builder = new NpgsqlConnectionStringBuilder(o.ConnectionString) { Timeout = (int)Timeout.TotalSeconds };
        try
        {
            await using (var connection = new NpgsqlConnection(builder.ConnectionString))
            {
                await connection.OpenAsync(cancellationToken);
            }
            await using var db = PersistenceExtensions.CreateVisRLDbContext(o);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? CheckResult.Ok("database", $"PostgreSQL at {endpoint.Host}:{endpoint.Port}/{builder.Database}, schema up to date")
                : CheckResult.Warning("database", $"PostgreSQL at {endpoint.Host}:{endpoint.Port}/{builder.Database}: {pending.Count} migration(s) pending",
                    "run `./visrl db migrate`");
        }
        catch (PostgresException e)
        {
            return CheckResult.Failed("database", $"PostgreSQL at {endpoint.Host}:{endpoint.Port} refused: {e.MessageText} ({e.SqlState})",
                $"correct {setting}");
        }
        catch (NpgsqlException e)
        {
            return CheckResult.Failed("database", $"PostgreSQL at {endpoint.Host}:{endpoint.Port} is unreachable ({Innermost(e)})",
                StackFix + setting);
        }
    }

    private async Task<CheckResult> CheckBlobsAsync(CancellationToken cancellationToken)
    {
        var o = configuration.GetVisRLSettings<BlobOptions>();
        var setting = SettingKey.ToEnvironment("Blobs:ConnectionString");
        var clientOptions = new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = Timeout } };
        var client = BlobExtensions.CreateServiceClient(o, clientOptions);
        try
        {
            await client.GetPropertiesAsync(cancellationToken);
            await BlobExtensions.CreateStore(o, clientOptions).EnsureContainersAsync(cancellationToken);
            return CheckResult.Ok("blob storage", $"{client.Uri} (containers {o.ImagesContainer}, {o.CheckpointsContainer}, {o.ExportsContainer})");
        }
        catch (Azure.RequestFailedException e) when (e.Status is 401 or 403)
        {
            return CheckResult.Failed("blob storage", $"{client.Uri} rejected the account key ({e.ErrorCode})", $"correct {setting}");
        }
        catch (Exception e) when (e is Azure.RequestFailedException or AggregateException or HttpRequestException)
        {
            return CheckResult.Failed("blob storage", $"{client.Uri} is unreachable ({Innermost(e)})", StackFix + setting);
        }
    }

    private static CheckResult CheckLibtorch(bool measureMatmul)
    {
        try
        {
            TorchRuntime.Initialize();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return CheckResult.Failed("libtorch", $"the libtorch binding does not load ({Innermost(e)})",
                "run `infra/install.sh` (libtorch-dev, libopenblas0-pthread), then rebuild");
        }
        var core = TorchRuntime.OpenBlasCoreType is { } type
            ? $"OPENBLAS_CORETYPE={type}{(TorchRuntime.OpenBlasCoreTypeFromUser ? " (user)" : " (auto)")}"
            : "OPENBLAS_CORETYPE unset";
        var detail = $"libtorch {TorchRuntime.LibtorchVersion}, {TorchRuntime.NumThreads} thread(s), {core}, BLAS core {TorchRuntime.BlasCoreName}, "
            + $"CPU tensor cache {(TorchRuntime.KeptCpuMemoryBytes >= 0 ? "on" : "off")}";
        if (measureMatmul) detail += $", 1024² fp32 matmul {TorchRuntime.MeasureMatmulGflops():F0} GFLOP/s";
        if (TorchRuntime.OpenBlasCoreTypeWarning is { } warning)
            return CheckResult.Warning("libtorch", $"{detail}; {warning}",
                "unset OPENBLAS_CORETYPE (the CLI and every service follow it), unless its core was chosen on purpose");
        return CheckResult.Ok("libtorch", detail);
    }

    private static CheckResult CheckJpeg()
    {
        try
        {
            var jpeg = ImageCodec.EncodeJpeg(RgbImage.Filled(8, 8, new Rgb(200, 40, 40)), 90);
            var back = ImageCodec.Decode(jpeg, "doctor.jpg");
            return CheckResult.Ok("jpeg", $"TurboJPEG encode/decode works ({back.Width}×{back.Height})");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return CheckResult.Failed("jpeg", $"TurboJPEG does not load ({Innermost(e)})", "run `infra/install.sh` (libturbojpeg0)");
        }
    }

    private static CheckResult CheckGpu()
    {
        var cuda = TorchRuntime.CudaAvailable ? $"CUDA available, {TorchRuntime.CudaDeviceCount} device(s)" : "CUDA not available to libtorch (CPU build or no GPU)";
        var smi = RunQuietly("nvidia-smi", "-L");
        return CheckResult.Info("gpu", smi is null ? $"{cuda}; no nvidia-smi" : $"{cuda}; {smi.Trim().Replace('\n', ';')}");
    }

    private static async Task<CheckResult> Guarded(string name, Func<Task<CheckResult>> check)
    {
        try { return await check(); }
        catch (OptionsValidationException e) { return CheckResult.Failed(name, string.Join("; ", e.Failures), "correct the setting named above"); }
        catch (Exception e) { return CheckResult.Failed(name, $"{e.GetType().Name}: {e.Message}", "see the message above"); }
    }

    private static string? RunQuietly(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }
}
