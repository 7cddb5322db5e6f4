namespace VisRL.Method.Diversity;

/// <summary>How the diversity controller chose the second candidate's box.</summary>
public enum DiversityOutcome
{
    /// <summary>The second sample was kept: its IoU with the first box is ≤ the threshold.</summary>
    Kept,

    /// <summary>Replaced by a random non-overlapping box of similar size (rejection sampling).</summary>
    Replaced,

    /// <summary>No random try fitted; replaced by the largest non-overlapping box that fits.</summary>
    Fallback,

    /// <summary>No usable non-overlapping box exists (the first box covers almost the whole image).</summary>
    Infeasible,
}
