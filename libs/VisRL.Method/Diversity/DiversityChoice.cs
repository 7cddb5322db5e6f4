using VisRL.Imaging.Geometry;

namespace VisRL.Method.Diversity;

/// <summary>
/// The diversity controller's answer. <see cref="Box"/> is null only when
/// <see cref="Outcome"/> is <see cref="DiversityOutcome.Infeasible"/>.
/// </summary>
/// <param name="SampledIou">IoU(second sample, first box); null when there was no parsed second sample.</param>
/// <param name="Tries">Random tries made (0 when kept; the 1-based try that fitted when replaced).</param>
/// <param name="Margin">The size margin in force at the last try (the initial margin when kept).</param>
/// <param name="Reason">Why it was not a plain keep/replace (fallback, infeasible), for logs.</param>
public sealed record DiversityChoice(DiversityOutcome Outcome, Box? Box, double? SampledIou, int Tries, double Margin, string? Reason = null);
