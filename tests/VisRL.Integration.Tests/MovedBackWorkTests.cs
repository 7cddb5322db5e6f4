using VisRL.Data;

namespace VisRL.Integration.Tests;

/// <summary>Which rounds take up a quarantined part moved back from its _error queue (pure: nothing running).</summary>
public class MovedBackWorkTests
{
    private static readonly Guid IterationId = Guid.NewGuid();

    [Theory]
    [InlineData("Sampling")]
    [InlineData("Scoring")]
    public void ARoundThatStillSamplesAndScoresTakesThePartIn(string state) => Assert.Null(MovedBackWork.Refusal(IterationId, state));

    [Theory]
    [InlineData("Filtering")]
    [InlineData("Paired")]
    [InlineData("TrainingBox")]
    [InlineData("Completed")]
    public void ARoundThatMovedOnRefusesItNamingItsStateAndWhatToDo(string state)
    {
        var refusal = MovedBackWork.Refusal(IterationId, state);
        Assert.Equal($"iteration {IterationId} is {state}: a round takes a moved-back part only while it samples and scores; start a new round to take these items in", refusal);
    }

    [Fact]
    public void AFailedRoundPointsAtRunRetry_AndAMissingOneIsNamed()
    {
        Assert.EndsWith("(or `visrl run retry` first, if it failed before its filter)", MovedBackWork.Refusal(IterationId, "Failed"));
        Assert.Equal($"iteration {IterationId} does not exist", MovedBackWork.Refusal(IterationId, null));
    }
}
