using VisRL.Contracts.V1;
using VisRL.Orchestrator.Rounds;

namespace VisRL.Integration.Tests;

/// <summary>The policy and judge of a round config (pure: nothing running).</summary>
public class RoundConfigEndpointTests
{
    [Fact]
    public void AnEmptyConfigSamplesAndJudgesLocally()
    {
        var config = RoundConfig.Parse("{}");
        Assert.Equal((ModelEndpoint.Local, ModelEndpoint.Local), (config.Policy.Kind, config.Judge.Kind));
    }

    [Fact]
    public void HttpEndpointsAreReadAndRecorded()
    {
        var config = RoundConfig.Parse("""{"policy":{"kind":"http","baseUrl":"http://gpu:8000/v1","model":"llava-1.5-7b","maxConcurrency":8},"judge":{"kind":"http","baseUrl":"http://gpu:8001/v1","model":"qwen2-vl-7b","apiKeyVariable":"JUDGE_KEY"}}""");
        Assert.Equal(new ModelEndpoint(ModelEndpoint.Http, "http://gpu:8000/v1", "llava-1.5-7b", MaxConcurrency: 8), config.Policy);
        Assert.Equal("JUDGE_KEY", config.Judge.ApiKeyVariable);
        Assert.Equal(config, RoundConfig.Parse(config.ToJson()));
    }

    [Theory]
    [InlineData("""{"policy":{"kind":"grpc"}}""", "policy.kind must be 'local' or 'http', not 'grpc'")]
    [InlineData("""{"judge":{"kind":"http","model":"m"}}""", "judge.baseUrl must be an absolute http(s) URL")]
    [InlineData("""{"judge":{"kind":"http","baseUrl":"ftp://x/v1","model":"m"}}""", "judge.baseUrl must be an absolute http(s) URL")]
    [InlineData("""{"policy":{"kind":"http","baseUrl":"http://x/v1"}}""", "policy.model is required for kind 'http'")]
    [InlineData("""{"policy":{"kind":"http","baseUrl":"http://x/v1","model":"m","timeoutSeconds":0}}""", "policy.timeoutSeconds must be > 0")]
    [InlineData("""{"policy":{"kind":"http","baseUrl":"http://x/v1","model":"m","maxConcurrency":0}}""", "policy.maxConcurrency must be ≥ 1")]
    [InlineData("""{"policy":null}""", "policy must not be null")]
    [InlineData("""{"thresholds":{"maxAnswer":80}}""", "thresholds.maxAnswer must be within [0, 1], not 80")]
    [InlineData("""{"thresholds":{"minBox":-0.1}}""", "thresholds.minBox must be within [0, 1]")]
    [InlineData("""{"thresholds":{"pairsPerItem":0}}""", "thresholds.pairsPerItem must be ≥ 1, not 0")]
    [InlineData("""{"training":{"dpo":{"beta":0}}}""", "round config: training.dpo: beta must be a positive number, not 0")]
    [InlineData("""{"training":{"dpo":{"learningRate":2}}}""", "round config: training.dpo: learningRate must be in (0, 1), not 2")]
    [InlineData("""{"training":{"dpo":null}}""", "round config: training.dpo must not be null")]
    [InlineData("""{"training":{"evalItems":0}}""", "round config: training.evalItems must be ≥ 1, not 0")]
    [InlineData("""{"sampling":{"attempts":0}}""", "round config: sampling.attempts must be ≥ 1, not 0")]
    [InlineData("""{"sampling":{"temperature":-1}}""", "round config: sampling.temperature must be a number ≥ 0 (0 = greedy), not -1")]
    [InlineData("""{"sampling":{"diversityIouThreshold":1.5}}""", "round config: sampling.diversityIouThreshold must be within [0, 1], not 1.5")]
    [InlineData("""{"sampling":null}""", "round config: sampling must not be null")]
    public void ABadEndpointIsRejectedNamingTheField(string json, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => RoundConfig.Parse(json));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void TheRoundsJudgeIdIsTheEndpointsForAnHttpJudgeAndTheCheckpointsOtherwise()
    {
        var http = RoundConfig.Parse("""{"judge":{"kind":"HTTP","baseUrl":"http://gpu:8001/v1/","model":"qwen2-vl-7b"}}""");
        Assert.Equal("http:qwen2-vl-7b@http://gpu:8001/v1", JudgeIds.Of(http.Judge, "abc123"));
        Assert.Equal("abc123", JudgeIds.Of(RoundConfig.Parse("{}").Judge, "abc123"));
    }
}
