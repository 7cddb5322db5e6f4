using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

public class BrokerQueuesTests
{
    [Fact]
    public void AQueueListedTwiceKeepsItsLargestConsumerCount_AndAQueueWithoutTheFieldHasNone()
    {
        const string reply = """
            [{"name":"critic-score-batch","consumers":0},{"name":"sampler-sample-batch","consumers":2},
             {"name":"critic-score-batch","consumers":1},{"name":"orchestrator-iteration"}]
            """;

        var consumers = BrokerQueues.ParseConsumers(reply);

        Assert.Equal(3, consumers.Count);
        Assert.Equal(1, consumers["critic-score-batch"]);
        Assert.Equal(2, consumers["sampler-sample-batch"]);
        Assert.Equal(0, consumers["orchestrator-iteration"]);
    }
}
