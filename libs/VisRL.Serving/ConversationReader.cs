using VisRL.DataGeneration.Backends.Http;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;

namespace VisRL.Serving;

/// <summary>
/// Maps a conversation onto VisRL-Tiny's protocol (the shapes <see cref="PolicyPrompts"/> and
/// <see cref="JudgePrompts"/> send; system messages are skipped):
/// <list type="bullet">
/// <item>a judge prompt (s_r or s_b) → <see cref="AnswerScoreTask"/> / <see cref="BoxScoreTask"/>;</item>
/// <item>user [image, "question + box request"] → <see cref="BoxTask"/>;</item>
/// <item>that, assistant [box], user [crop image, answer request] → <see cref="AnswerTask"/> (the box parsed from the assistant's text);</item>
/// <item>user [image, question] → <see cref="NoCotTask"/>.</item>
/// </list>
/// Anything else is a 400 that lists these shapes. Pure: no model involved.
/// </summary>
public static class ConversationReader
{
    public const string Shapes = "VisRL-Tiny answers: user [image, question + \"" + VisCotPrompts.BoxRequest + "\"] (the box); "
        + "that, an assistant box and user [crop image, \"" + VisCotPrompts.AnswerRequest + "\"] (the answer); "
        + "user [image, question] (a direct answer); or the judge prompts of VisRL's HTTP critic";

    public static (ModelTask? Task, ApiError? Error) Read(IReadOnlyList<ChatMessage> all)
    {
        var messages = all.Where(m => m.Role != ChatMessage.System).ToList();
        if (JudgePrompts.Read(messages) is { } judge)
            return judge.Kind == JudgePrompts.AnswerKind
                ? (new AnswerScoreTask(judge.Question, judge.StandardAnswer, judge.Answer!), null)
                : (new BoxScoreTask(judge.Crop!, judge.Question, judge.StandardAnswer), null);

        if (messages.Count == 0 || messages[^1].Role != ChatMessage.User)
            return Fail("messages", "the last message must be the user's");
        var first = messages[0];
        if (first.Role != ChatMessage.User || first.Images.Count != 1)
            return Fail("messages[0].content", $"the first user message needs exactly one image_url (it has {first.Images.Count}). {Shapes}");
        bool asksBox = first.Text.Contains(VisCotPrompts.BoxRequest, StringComparison.Ordinal) || first.Text.Contains(VisCotPrompts.BoxRequestVisRl, StringComparison.Ordinal);
        var question = VisCotPrompts.StripQuestion(first.Text);
        if (question.Length == 0) return Fail("messages[0].content", "the first user message has no question text");

        switch (messages.Count)
        {
            case 1:
                return (asksBox ? new BoxTask(first.Images[0], question) : new NoCotTask(first.Images[0], question), null);
            case 3 when asksBox && messages[1].Role == ChatMessage.Assistant && messages[2].Role == ChatMessage.User:
                var parsed = BoxParser.Parse(messages[1].Text, first.Images[0].Width, first.Images[0].Height);
                if (!parsed.Success) return Fail("messages[1].content", $"the assistant's turn-1 reply holds no box ({parsed.FailureReason}): '{messages[1].Text}'");
                if (messages[2].Images.Count != 1) return Fail("messages[2].content", $"turn 2 needs exactly one image_url, the crop (it has {messages[2].Images.Count})");
                return (new AnswerTask(first.Images[0], question, parsed.Box, messages[2].Images[0]), null);
            default:
                return Fail("messages", $"a conversation of {messages.Count} non-system messages is not one VisRL-Tiny can follow. {Shapes}");
        }
    }

    private static (ModelTask?, ApiError?) Fail(string param, string message) => (null, ApiError.Invalid(param, message, "unsupported_conversation"));
}
