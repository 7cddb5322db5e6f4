namespace VisRL.DataGeneration;

/// <summary>The two candidates of an attempt: the model's own box, and the diversity controller's (or the plain resample's).</summary>
public static class CandidateKinds
{
    public const string Own = "own", Diverse = "diverse";
}
