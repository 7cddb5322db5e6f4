using VisRL.Method.Answers;

namespace VisRL.Method.Tests;

public class AnswerMatchTests
{
    [Theory]
    [InlineData("A", "a", 1)]
    [InlineData(" 7 ", "7", 1)]
    [InlineData("7.", "7", 1)]
    [InlineData("The cat", "cat", 1)]
    [InlineData("a red circle!", "Red circle", 1)]
    [InlineData("two", "2", 1)]
    [InlineData("None", "0", 1)]
    [InlineData("1,000", "1000", 1)]
    [InlineData("3.5", "35", 0)]
    [InlineData("don't know", "dont know", 1)]
    [InlineData("left  of\tthe   box", "left of box", 1)]
    [InlineData("\"K\"", "k", 1)]
    [InlineData("B", "8", 0)]
    [InlineData("an", "a", 0)]
    [InlineData("", "", 0)]
    [InlineData(null, "7", 0)]
    [InlineData("7", null, 0)]
    [InlineData("7 apples", "7", 0)]
    public void ShortAnswersMatchAfterNormalization(string? answer, string? standard, double expected) =>
        Assert.Equal(expected, AnswerMatch.Score(answer, standard));

    [Theory]
    [InlineData("A", "a")]                // a lone article is the answer, not noise
    [InlineData("The A", "a")]
    [InlineData("It's 3.5 m.", "its 3.5 m")]
    [InlineData("Ten!", "10")]
    public void Normalize(string text, string normalized) => Assert.Equal(normalized, AnswerMatch.Normalize(text));
}
