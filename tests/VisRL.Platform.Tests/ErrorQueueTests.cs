using System.Text;
using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

public class ErrorQueueTests
{
    private static byte[] Text(string value) => Encoding.UTF8.GetBytes(value);

    private const string SampleBatchEnvelope = """
        {"messageId":"0b5f0000-0000-0000-0000-000000000001","messageType":["urn:message:VisRL.Contracts.V1:SampleBatch"],
         "message":{"runId":"6e1c2a44-1111-2222-3333-444455556666","batchId":"7f000000-aaaa-bbbb-cccc-dddddddddddd","attempt":2,
                    "itemIds":[11,12,13],"policy":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    "sampling":{"attempts":3,"temperature":2.0},"useBoxCritic":true}}
        """;

    [Theory]
    [InlineData("sampler-sample-batch", "sampler-sample-batch_error", "sampler-sample-batch")]
    [InlineData("sampler-sample-batch_error", "sampler-sample-batch_error", "sampler-sample-batch")]
    [InlineData("_error", "_error_error", "_error")]
    [InlineData("filter-build-pairs_skipped", "filter-build-pairs_skipped", "filter-build-pairs")]
    public void EitherNameGivesTheErrorQueueAndItsSource(string given, string error, string source) =>
        Assert.Equal((error, source), ErrorQueue.Names(given));

    [Fact]
    public void NoNameIsRefused() => Assert.Throws<ArgumentException>(() => ErrorQueue.Names(" "));

    [Fact]
    public void AFaultIsReadFromMassTransitsHeadersAndTheEnvelope()
    {
        var headers = new Dictionary<string, object?>
        {
            ["MT-Fault-Message"] = Text("images/x.png: unknown image format"),
            ["MT-Fault-ExceptionType"] = Text("System.InvalidOperationException"),
            ["MT-Fault-Timestamp"] = Text("2026-11-25T01:02:03Z"),
            ["MT-Reason"] = Text("fault"),
        };

        var failed = ErrorQueue.Describe("id-1", headers, Text(SampleBatchEnvelope));

        Assert.Equal(("id-1", "SampleBatch", "images/x.png: unknown image format"), (failed.MessageId, failed.Type, failed.Reason));
        Assert.Equal(("System.InvalidOperationException", "2026-11-25T01:02:03Z", false), (failed.ExceptionType, failed.FailedAt, failed.Quarantined));
        Assert.Equal("runId=6e1c2a44-1111-2222-3333-444455556666 batchId=7f000000-aaaa-bbbb-cccc-dddddddddddd attempt=2 itemIds=[3] " +
                     "policy=0123456789abcdef0123456789abcdef0123456… sampling={attempts,temperature} useBoxCritic=true", failed.Fields);
    }

    [Fact]
    public void AQuarantinedPartIsMarked_ASkippedMessageSaysWhy_AndAMissingReasonIsSaidToBeMissing()
    {
        Assert.Equal("skipped: no consumer of its queue takes this message type",
            ErrorQueue.Describe(null, new Dictionary<string, object?> { ["MT-Reason"] = Text("skip") }, Text(SampleBatchEnvelope)).Reason);
        Assert.True(ErrorQueue.Describe(null, new Dictionary<string, object?> { ["VisRL-Quarantined"] = Text("true") }, Text(SampleBatchEnvelope)).Quarantined);
        var bare = ErrorQueue.Describe(null, null, Text(SampleBatchEnvelope));
        Assert.Equal(("(no reason recorded)", false, null), (bare.Reason, bare.Quarantined, bare.ExceptionType));
        Assert.Equal((null, null), (bare.MovedBackAt, bare.CutFrom));
    }

    [Fact]
    public void WhereAParkedMessageCameFromIsRead_TheMoveBackItFailedAfterAndTheMessageAPartWasCutFrom()
    {
        var failedAgain = ErrorQueue.Describe("m-1", new Dictionary<string, object?> { ["VisRL-Moved-Back"] = Text("2026-11-25T12:00:00.0000000Z") }, Text(SampleBatchEnvelope));
        Assert.Equal(("2026-11-25T12:00:00.0000000Z", null), (failedAgain.MovedBackAt, failedAgain.CutFrom));

        var part = ErrorQueue.Describe("p-1", new Dictionary<string, object?>
        {
            ["VisRL-Cut-From"] = Text("m-1"), ["VisRL-Cut-From-Moved-Back"] = Text("2026-11-25T12:00:00.0000000Z"),
        }, Text(SampleBatchEnvelope));
        Assert.Equal((null, new CutFrom("m-1", "2026-11-25T12:00:00.0000000Z")), (part.MovedBackAt, part.CutFrom));
        Assert.Equal(new CutFrom("m-1", null), ErrorQueue.Describe("p-2", new Dictionary<string, object?> { ["VisRL-Cut-From"] = Text("m-1") }, Text(SampleBatchEnvelope)).CutFrom);
    }

    [Theory]
    [InlineData("this is not json", "(not JSON)", "16 bytes")]
    [InlineData("""{"id":1}""", "(not a MassTransit envelope)", """{"id":1}""")]
    [InlineData("""{"messageType":[],"message":"text"}""", "?", "text")]
    public void ABodyThatIsNoEnvelopeIsStillDescribed(string body, string type, string fields)
    {
        var failed = ErrorQueue.Describe("id", null, Text(body));
        Assert.Equal((type, fields), (failed.Type, failed.Fields));
    }

    [Fact]
    public void AMessageGoesBackWithoutItsFailureHeaders_WithEveryOther_AndMarkedAsMovedBack()
    {
        var headers = new Dictionary<string, object?>
        {
            ["MT-Fault-Message"] = Text("boom"), ["MT-Fault-StackTrace"] = Text("at …"), ["MT-Reason"] = Text("fault"),
            ["VisRL-Quarantined"] = Text("true"), ["MT-Host-MachineName"] = Text("worker-1"), ["Content-Type"] = Text("application/json"),
        };

        var kept = ErrorQueue.HeadersForRetry(headers, new DateTimeOffset(2026, 11, 25, 3, 4, 5, TimeSpan.FromHours(1)));

        Assert.Equal(["Content-Type", "MT-Host-MachineName", "VisRL-Moved-Back"], kept.Keys.Order(StringComparer.Ordinal));
        Assert.Same(headers["MT-Host-MachineName"], kept["MT-Host-MachineName"]);
        Assert.Equal("2026-11-25T02:04:05.0000000Z", kept["VisRL-Moved-Back"]);
        Assert.Equal(["VisRL-Moved-Back"], ErrorQueue.HeadersForRetry(null, DateTimeOffset.UnixEpoch).Keys);
    }
}
