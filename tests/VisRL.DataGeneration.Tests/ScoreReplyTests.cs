using VisRL.DataGeneration.Backends.Http;

namespace VisRL.DataGeneration.Tests;

/// <summary>Tolerant score parsing: what judges really reply, and the reasons when nothing can be read.</summary>
public class ScoreReplyTests
{
    [Theory]
    [InlineData("{\"score\": 0.8}", 0.8)]
    [InlineData("{\"Score\": 1}", 1.0)]
    [InlineData("{'score': 0.5}", 0.5)] // not JSON; the "score: x" rule reads it
    [InlineData("```json\n{\"score\": 0.25}\n```", 0.25)]
    [InlineData("```\n{\"score\": \"0.75\"}\n```", 0.75)]
    [InlineData("Sure! Here is my evaluation: {\"score\": 0.6, \"reason\": \"close\"} Hope it helps.", 0.6)]
    [InlineData("{\"reason\": \"x\"} and then {\"score\": 0.3}", 0.3)]
    [InlineData("Score: 0.9", 0.9)]
    [InlineData("the score = .4 overall", 0.4)]
    [InlineData("0.7", 0.7)]
    [InlineData("  1.  ", 1.0)]
    [InlineData("80%", 0.8)]
    [InlineData("4/5", 0.8)]
    [InlineData("{\"score\": 1.5}", 1.5)] // read as is; the range check reports it
    [InlineData("{\"score\": 6.4520340214625829E-22}", 6.4520340214625829E-22)]
    public void ReadsTheScore(string reply, double expected)
    {
        var parsed = ScoreReply.Parse(reply);
        Assert.Null(parsed.Reason);
        Assert.Equal(expected, parsed.Value!.Value, 12);
    }

    [Theory]
    [InlineData(null, "empty reply")]
    [InlineData("   ", "empty reply")]
    [InlineData("I think the answer is good.", "no score in the reply")]
    [InlineData("The answer mentions 3 apples and 2 pears.", "no score in the reply")]
    [InlineData("{\"rating\": \"high\"}", "a JSON object without a numeric \"score\"")]
    [InlineData("{\"score\": \"high\"}", "a JSON object without a numeric \"score\"")]
    [InlineData("3/0", "divides by zero")]
    [InlineData("No s_b: the judge cannot read the question or standard answer ('12th' is not in the VisRL-Tiny vocabulary).", "no score in the reply")]
    public void SaysWhyNoScoreCouldBeRead(string? reply, string reason)
    {
        var parsed = ScoreReply.Parse(reply);
        Assert.Null(parsed.Value);
        Assert.Contains(reason, parsed.Reason);
    }

    [Fact]
    public void TheReasonQuotesALongReplyShortened()
    {
        var parsed = ScoreReply.Parse(new string('a', 500));
        Assert.EndsWith("...'", parsed.Reason);
        Assert.True(parsed.Reason!.Length < 200);
    }
}
