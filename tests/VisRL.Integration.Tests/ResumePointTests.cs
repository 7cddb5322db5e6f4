using VisRL.Orchestrator;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>Where a failed iteration is taken up again, from what it recorded (pure: nothing running).</summary>
public class ResumePointTests
{
    private static readonly Guid PairSet = Guid.NewGuid();

    [Theory]
    [InlineData(0, false, null, null, ResumePoint.None)] // rejected before it planned a batch
    [InlineData(3, false, null, null, ResumePoint.DataGeneration)] // every batch failed, the filter faulted or kept no pairs
    [InlineData(3, true, null, null, ResumePoint.BoxStage)]
    [InlineData(3, true, "box", null, ResumePoint.AnswerStage)] // stage 2 failed, or stage 1's evaluation did meanwhile
    [InlineData(3, true, "box", "out", ResumePoint.Evaluation)]
    public void TheFirstStageWhoseOutcomeIsMissingIsWhereItResumes(int batches, bool paired, string? box, string? output, ResumePoint expected)
    {
        var iteration = new Iteration
        {
            BatchCount = batches, PairSetId = paired ? PairSet : null, BoxCheckpoint = box, OutputCheckpoint = output,
            State = "Failed", FailureReason = "any stage's words", // the reason is not read: what the iteration has decides
        };
        Assert.Equal(expected, ResumePoints.Of(iteration));
    }
}
