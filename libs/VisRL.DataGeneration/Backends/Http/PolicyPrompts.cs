using VisRL.Imaging;
using VisRL.Imaging.Datasets;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// The reference pipeline's two turns as chat messages (one conversation, as LLaVA and Qwen2-VL are
/// prompted in VisRL's data generation):
/// turn 1: user [global image, "{question} Please provide the bounding box coordinate of the region that can help you answer the question better."];
/// turn 2: the same, then assistant [the box text], then user [crop image, "Please answer the question based on the original image and local detail image."].
/// `visrl serve` reads the same shapes back (its ConversationReader).
/// </summary>
public static class PolicyPrompts
{
    public static IReadOnlyList<ChatMessage> BoxTurn(RgbImage scene, string question) =>
        [new(ChatMessage.User, [ChatPart.Of(scene), ChatPart.Of($"{question} {VisCotPrompts.BoxRequest}")])];

    public static IReadOnlyList<ChatMessage> AnswerTurn(RgbImage scene, string question, string boxText, RgbImage crop) =>
    [
        .. BoxTurn(scene, question),
        new(ChatMessage.Assistant, [ChatPart.Of(boxText)]),
        new(ChatMessage.User, [ChatPart.Of(crop), ChatPart.Of(VisCotPrompts.AnswerRequest)]),
    ];
}
