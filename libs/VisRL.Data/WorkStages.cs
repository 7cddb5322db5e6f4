namespace VisRL.Data;

/// <summary>Stage names of <c>work_failures</c> rows and <c>BatchFailed</c> events.</summary>
public static class WorkStages
{
    public const string Sample = "sample", Score = "score", Train = "train";
}
