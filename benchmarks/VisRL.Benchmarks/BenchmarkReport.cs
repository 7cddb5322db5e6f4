namespace VisRL.Benchmarks;

/// <summary>
/// What one benchmark run produced: a Markdown section for docs/benchmarks.md (tables with the
/// measured numbers, the baseline measured in the same run, and the ratio) and the raw numbers.
/// </summary>
public sealed record BenchmarkReport(string Name, string Markdown, IReadOnlyDictionary<string, double> Numbers);

/// <summary>Where a benchmark may find the repository (for peer scripts) and fixtures.</summary>
public sealed record BenchmarkContext(string RepositoryRoot, string FixturesDirectory, bool Quick, Action<string> Progress);
