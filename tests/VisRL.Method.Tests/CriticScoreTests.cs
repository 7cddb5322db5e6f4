using VisRL.Method.Critique;

namespace VisRL.Method.Tests;

public class CriticScoreTests
{
    [Theory]
    [InlineData("s_r", 0.0, null)]
    [InlineData("s_r", 1.0, null)]
    [InlineData("s_b", 0.35, null)]
    [InlineData("s_b", 1.7, "s_b = 1.7 is outside [0, 1]")]
    [InlineData("s_r", -0.1, "s_r = -0.1 is outside [0, 1]")]
    [InlineData("s_r", double.NaN, "s_r = NaN is not a finite number")]
    [InlineData("s_b", double.PositiveInfinity, "s_b = Infinity is not a finite number")]
    public void AScoreMustBeFiniteAndWithinTheUnitInterval(string name, double value, string? error)
    {
        var check = CriticScore.Check(name, value);
        Assert.Equal(error, check.Error);
        Assert.Equal(error is null, check.IsValid);
        Assert.Equal(error is null ? value : null, check.Value);
        Assert.Equal(error is null, CriticScore.IsValid(value));
    }

    [Fact]
    public void AMissingScoreIsNamed()
    {
        Assert.Equal("s_b is missing", CriticScore.CheckBox(null).Error);
        Assert.Equal("s_r", CriticScore.CheckAnswer(0.5).Name);
        Assert.False(CriticScore.IsValid(null));
    }
}
