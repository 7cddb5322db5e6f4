using VisRL.Imaging;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>The fields of a judge prompt, as <see cref="JudgePrompts.Read"/> finds them. <see cref="Answer"/> is null for s_b.</summary>
public sealed record JudgeAsk(string Kind, string Question, string StandardAnswer, string? Answer, RgbImage? Crop);

/// <summary>
/// The judge's two prompts (self-critique, DESIGN.md §1), each asking for a reply <c>{"score": x}</c>:
/// s_r compares the candidate's answer with the standard answer (text only); s_b shows the crop alone
/// and asks whether it holds what the standard answer needs. Field values are put on one line each
/// (line breaks become spaces), so <see cref="Read"/> — which `visrl serve` uses to recognise them —
/// gets back exactly what was sent.
/// </summary>
public static class JudgePrompts
{
    public const string AnswerKind = "s_r", BoxKind = "s_b";

    public const string AnswerHeader = "You grade a model's answer to a question about an image against the standard answer.";
    public const string BoxHeader = "You judge whether this image region alone shows what is needed to answer a question.";
    private const string QuestionLabel = "Question: ", StandardLabel = "Standard answer: ", AnswerLabel = "Model answer: ";
    private const string AnswerRubric = "Score from 0 to 1: 1 when the model answer means the same as the standard answer, 0 when it does not. Reply with JSON only, for example {\"score\": 0.5}.";
    private const string BoxRubric = "Score from 0 to 1: 1 when the region clearly shows what the standard answer needs, 0 when it does not. Reply with JSON only, for example {\"score\": 0.5}.";

    public static IReadOnlyList<ChatMessage> AnswerScore(string question, string standardAnswer, string answer) =>
        [new(ChatMessage.User, [ChatPart.Of(string.Join('\n', AnswerHeader, QuestionLabel + OneLine(question), StandardLabel + OneLine(standardAnswer),
            AnswerLabel + OneLine(answer), AnswerRubric))])];

    public static IReadOnlyList<ChatMessage> BoxScore(RgbImage crop, string question, string standardAnswer) =>
        [new(ChatMessage.User, [ChatPart.Of(crop), ChatPart.Of(string.Join('\n', BoxHeader, QuestionLabel + OneLine(question),
            StandardLabel + OneLine(standardAnswer), BoxRubric))])];

    /// <summary>The judge prompt in <paramref name="messages"/>, or null when they are not one (one user message, header first).</summary>
    public static JudgeAsk? Read(IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count != 1 || messages[0].Role != ChatMessage.User) return null;
        var lines = messages[0].Text.Split('\n');
        var images = messages[0].Images;
        if (lines.Length == 5 && lines[0] == AnswerHeader && images.Count == 0
            && Field(lines[1], QuestionLabel) is { } q && Field(lines[2], StandardLabel) is { } s && Field(lines[3], AnswerLabel) is { } a)
            return new JudgeAsk(AnswerKind, q, s, a, null);
        if (lines.Length == 4 && lines[0] == BoxHeader && images.Count == 1
            && Field(lines[1], QuestionLabel) is { } bq && Field(lines[2], StandardLabel) is { } bs)
            return new JudgeAsk(BoxKind, bq, bs, null, images[0]);
        return null;
    }

    private static string? Field(string line, string label) => line.StartsWith(label, StringComparison.Ordinal) ? line[label.Length..] : null;

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
