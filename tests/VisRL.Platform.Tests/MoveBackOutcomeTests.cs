using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

public class MoveBackOutcomeTests
{
    private const string Stamp = "2026-11-25T12:00:00.0000000Z", EarlierStamp = "2026-11-25T11:00:00.0000000Z";
    private static readonly MovedMessage Moved = new("m-1", Stamp, "SampleBatch", "itemIds=[2]");

    private static ParkedMessage Parked(string? id, string reason, string? movedBackAt = null, CutFrom? cutFrom = null) =>
        new("sampler-sample-batch_error", new FailedMessage(id, "SampleBatch", reason, null, null, cutFrom is not null, "itemIds=[1]", movedBackAt, cutFrom));

    [Fact]
    public void AHandledMessageWithNothingParkedAgainWentThrough()
    {
        var outcome = MoveBackOutcome.Of(Moved, handled: true, [Parked("m-2", "another message's failure", Stamp)]);
        Assert.True(outcome.WentThrough);
        Assert.Equal("handled", outcome.Describe());
    }

    [Fact]
    public void AMessageBackWithTheStampItWentBackWithFailedAgain_OneBackFromAnEarlierMoveIsNotIt()
    {
        var outcome = MoveBackOutcome.Of(Moved, handled: false,
            [Parked("m-1", "failed after an earlier move-back", EarlierStamp), Parked("m-1", "images/a.png: unknown image format", Stamp)]);
        Assert.True(outcome.FailedAgain && outcome.Settled && !outcome.WentThrough);
        Assert.Equal("back in sampler-sample-batch_error: images/a.png: unknown image format", outcome.Describe());
    }

    [Fact]
    public void APartCutFromThisMoveBackIsNamed_OneCutFromAnotherMoveOrMessageIsNot()
    {
        var outcome = MoveBackOutcome.Of(Moved, handled: true,
        [
            Parked("p-1", "item 2: corrupt image", cutFrom: new CutFrom("m-1", Stamp)),
            Parked("p-2", "cut before this move", cutFrom: new CutFrom("m-1", EarlierStamp)),
            Parked("p-3", "cut from another message", cutFrom: new CutFrom("m-9", Stamp)),
        ]);
        Assert.True(outcome.Handled && outcome.Settled && !outcome.WentThrough && !outcome.FailedAgain);
        Assert.Equal("handled; a part (itemIds=[1]) is back in sampler-sample-batch_error: item 2: corrupt image", outcome.Describe());

        var refused = MoveBackOutcome.Of(Moved with { Fields = "itemIds=[1]" }, handled: true, [Parked("p-4", "iteration 7 is Paired", cutFrom: new CutFrom("m-1", Stamp))]);
        Assert.Equal("handled; all of it is back in sampler-sample-batch_error: iteration 7 is Paired", refused.Describe());
    }

    [Fact]
    public void WithoutAReportOrItsReturnTheOutcomeIsNotKnownYet_AndAMessageWithoutAnIdIsNeverMatched()
    {
        var open = MoveBackOutcome.Of(Moved, handled: false, []);
        Assert.False(open.Settled);
        Assert.Equal("no report yet: still queued, or being worked on", open.Describe());

        var anonymous = MoveBackOutcome.Of(Moved with { MessageId = null }, handled: false, [Parked(null, "a failure of a message without id", Stamp)]);
        Assert.Empty(anonymous.ParkedAgain);
    }
}
