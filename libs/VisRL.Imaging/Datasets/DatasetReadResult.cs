namespace VisRL.Imaging.Datasets;

/// <summary>Rows read and rows skipped; a bad row never stops a read.</summary>
public sealed record DatasetReadResult(IReadOnlyList<DatasetRow> Rows, IReadOnlyList<DatasetFailure> Failures)
{
    public int RowCount => Rows.Count;
    public int FailureCount => Failures.Count;

    /// <summary>E.g. "980 rows, 20 failures (12 missing image, 8 bad box)".</summary>
    public string Summary
    {
        get
        {
            if (Failures.Count == 0) return $"{Rows.Count} rows, 0 failures";
            var kinds = Failures.GroupBy(f => f.Reason.Split(':')[0]).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}");
            return $"{Rows.Count} rows, {Failures.Count} failures ({string.Join(", ", kinds)})";
        }
    }
}
