using System.Text.Json;
using MassTransit.Serialization;
using VisRL.Contracts.V1;

namespace VisRL.Platform.Tests;

/// <summary>Fields added to V1 records later (the policy/judge endpoints) have defaults: messages written before them still deserialize.</summary>
public class OptionalContractFieldsTests
{
    private static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, SystemTextJsonMessageSerializer.Options)!;

    [Fact]
    public void ASampleBatchWithoutAPolicyIsLocal()
    {
        var old = Read<SampleBatch>("""
            {"runId":"00000000-0000-0000-0000-000000000001","iterationId":"00000000-0000-0000-0000-000000000002","batchId":"00000000-0000-0000-0000-000000000003",
             "ordinal":0,"attempt":1,"itemIds":[1,2],"policyCheckpoint":"abc","sampling":{"attempts":3,"temperature":2}}
            """);
        Assert.Null(old.Policy);
        Assert.Equal([1L, 2L], old.ItemIds);
        Assert.Equal(2.0, old.Sampling.Temperature);
    }

    [Fact]
    public void AScoreBatchWithoutAJudgeIsLocal_AndAnEndpointKeepsItsDefaults()
    {
        var old = Read<ScoreBatch>("""
            {"runId":"00000000-0000-0000-0000-000000000001","iterationId":"00000000-0000-0000-0000-000000000002","batchId":"00000000-0000-0000-0000-000000000003",
             "ordinal":0,"attempt":1,"itemIds":[1],"judgeCheckpoint":"abc","useBoxCritic":true}
            """);
        Assert.Null(old.Judge);

        var withJudge = Read<ScoreBatch>("""
            {"runId":"00000000-0000-0000-0000-000000000001","iterationId":"00000000-0000-0000-0000-000000000002","batchId":"00000000-0000-0000-0000-000000000003",
             "ordinal":0,"attempt":1,"itemIds":[1],"judgeCheckpoint":"abc","useBoxCritic":true,"judge":{"kind":"http","baseUrl":"http://gpu:8000/v1","model":"qwen2-vl-7b"}}
            """);
        Assert.Equal(new ModelEndpoint(ModelEndpoint.Http, "http://gpu:8000/v1", "qwen2-vl-7b"), withJudge.Judge);
        Assert.Equal((120.0, 3, 4, (int?)null), (withJudge.Judge!.TimeoutSeconds, withJudge.Judge.MaxRetries, withJudge.Judge.MaxConcurrency, withJudge.Judge.MaxTokens));
    }

    [Fact]
    public void AResumeIterationWithoutChangesOrARequestIdChangesNothing()
    {
        var old = Read<ResumeIteration>("""{"runId":"00000000-0000-0000-0000-000000000001","iterationId":"00000000-0000-0000-0000-000000000002"}""");
        Assert.Equal((null, null), (old.ConfigChanges, old.RequestId));
    }
}
