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

    [Fact]
    public void EachMoveBackOfAMessageGetsAClaimOfItsOwn_WhichItsRedeliveriesShare()
    {
        var message = Guid.NewGuid();
        const string first = "2026-11-25T10:00:00.0000000Z", second = "2026-11-25T10:05:00.0000000Z";
        Assert.Equal(MovedBackWork.ClaimId(message, first), MovedBackWork.ClaimId(message, first));
        Assert.NotEqual(MovedBackWork.ClaimId(message, first), MovedBackWork.ClaimId(message, second));
        Assert.NotEqual(MovedBackWork.ClaimId(message, first), MovedBackWork.ClaimId(Guid.NewGuid(), first));
        Assert.NotEqual(message, MovedBackWork.ClaimId(message, first));
    }
}
