using System.CommandLine;
using VisRL.Torch;

namespace VisRL.Cli.Infrastructure;

/// <summary>
/// `--threads`: libtorch's and OpenBLAS's threads for a command that runs the model in this process.
/// The default is 1, as in the Trainer service, so a checkpoint trained or evaluated here sums in
/// the same order and ends at the same digits as there.
/// </summary>
internal static class ThreadsOption
{
    public static Option<int> Create(string purpose)
    {
        var threads = new Option<int>("--threads")
        {
            Description = $"libtorch and OpenBLAS threads (default 1, as the Trainer service: {purpose})",
            DefaultValueFactory = _ => 1,
        };
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be ≥ 1"); });
        return threads;
    }

    /// <summary>Sets the threads from the parsed command line; call before the first tensor.</summary>
    public static void Apply(ParseResult parse, Option<int> threads) => TorchRuntime.SetNumThreads(parse.GetValue(threads));
}
