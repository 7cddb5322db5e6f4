using System.Reflection;
using System.Text.Json;
using MassTransit.Serialization;
using VisRL.Contracts.V1;
using VisRL.Platform.Messaging.Sagas;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Tests;

/// <summary>Every message record survives MassTransit's JSON serializer with every field intact.</summary>
public class ContractSerializationTests
{
    private static IEnumerable<Type> Contracts() => typeof(Ping).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && t.Namespace == "VisRL.Contracts.V1");

    public static TheoryData<Type> MessageTypes() => new(Contracts());

    [Fact]
    public void ContractsCoverTheFlow()
    {
        var names = Contracts().Select(t => t.Name).ToHashSet();
        foreach (var expected in new[] { "StartIteration", "SampleBatch", "BatchSampled", "ScoreBatch", "BatchScored", "BuildPairs",
                     "PairsReady", "TrainStage", "CheckpointReady", "Evaluate", "EvaluationCompleted", "IterationCompleted", "IterationFailed" })
            Assert.Contains(expected, names);
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void RoundTripsThroughTheBusSerializer(Type type)
    {
        var seed = 1;
        var message = Create(type, ref seed);
        var options = SystemTextJsonMessageSerializer.Options;
        var json = JsonSerializer.Serialize(message, type, options);
        var back = JsonSerializer.Deserialize(json, type, options)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, type, options));
        // Non-default values everywhere, so a property the serializer drops shows up as a difference.
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            Assert.NotEqual(Default(property.PropertyType), property.GetValue(back));
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void RoundTripsThroughTheSagaOutbox(Type type)
    {
        var seed = 1;
        var message = Create(type, ref seed);
        var (back, backType) = SagaOutbox.Read(SagaOutbox.Row(Guid.NewGuid(), message));
        Assert.Equal(type, backType);
        var options = SystemTextJsonMessageSerializer.Options;
        Assert.Equal(JsonSerializer.Serialize(message, type, options), JsonSerializer.Serialize(back, type, options));
    }

    [Theory]
    [InlineData("VisRL.Contracts.V1.NoSuchCommand, VisRL.Contracts", "{}", "outbox_messages row 42: unknown message type 'VisRL.Contracts.V1.NoSuchCommand, VisRL.Contracts'")]
    [InlineData("VisRL.Contracts.V1.BuildPairs, VisRL.Contracts", "[1, 2]", "outbox_messages row 42: its body is not a BuildPairs: ")]
    [InlineData("VisRL.Contracts.V1.BuildPairs, VisRL.Contracts", "null", "outbox_messages row 42: its body is not a BuildPairs: the body is null")]
    public void AnOutboxRowThatCannotBeReadBackIsNamedWithTheReason(string type, string body, string error)
    {
        var row = new OutboxMessage { Id = 42, MessageType = type, BodyJson = body };
        Assert.StartsWith(error, Assert.Throws<InvalidOperationException>(() => SagaOutbox.Read(row)).Message);
    }

    private static object Create(Type type, ref int seed)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = new List<object?>();
        foreach (var parameter in constructor.GetParameters()) arguments.Add(Value(parameter.ParameterType, ref seed));
        return constructor.Invoke([.. arguments]);
    }

    private static object? Value(Type type, ref int seed)
    {
        seed++;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(Guid)) return new Guid(seed, 1, 2, [3, 4, 5, 6, 7, 8, 9, 10]);
        if (underlying == typeof(int)) return seed;
        if (underlying == typeof(double)) return seed + 0.25;
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(string)) return $"value-{seed}";
        if (underlying == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 11, 21, 12, 0, seed % 60, TimeSpan.Zero);
        if (underlying.IsEnum) return Enum.GetValues(underlying).GetValue(Enum.GetValues(underlying).Length - 1);
        if (underlying == typeof(IReadOnlyList<long>)) return new List<long> { seed, seed + 1L };
        if (underlying.IsClass) return Create(underlying, ref seed);
        throw new NotSupportedException($"no test value for {type}");
    }

    private static object? Default(Type type) => type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null;
}
