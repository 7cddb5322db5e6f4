using VisRL.Imaging.Datasets;

namespace VisRL.Data.Import;

/// <summary>Rows imported now, rows a previous import already stored, and rows that failed (by source index).</summary>
public sealed record ImportReport(Guid DatasetId, int Imported, int AlreadyPresent, IReadOnlyList<DatasetFailure> Failures)
{
    /// <summary>At least one row of the file is in the store; the failures are reported, not fatal.</summary>
    public bool AnyStored => Imported + AlreadyPresent > 0;

    /// <summary>E.g. "38 imported, 0 already present, 4 failures (1 missing image, 1 corrupt image, …)".</summary>
    public string Summary
    {
        get
        {
            string head = $"{Imported} imported, {AlreadyPresent} already present, {Failures.Count} failures";
            if (Failures.Count == 0) return head;
            var kinds = Failures.GroupBy(f => f.Reason.Split(':')[0]).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}");
            return $"{head} ({string.Join(", ", kinds)})";
        }
    }
}
