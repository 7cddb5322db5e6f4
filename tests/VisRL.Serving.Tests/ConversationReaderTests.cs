using VisRL.DataGeneration.Backends;
using VisRL.DataGeneration.Backends.Http;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;

namespace VisRL.Serving.Tests;

/// <summary>The prompt ↔ protocol mapping: what the HTTP backends send is read back as the in-process task it stands for.</summary>
public class ConversationReaderTests
{
    private static readonly Imaging.RgbImage Scene = Tiny.Image(40, 30), Crop = Tiny.Image(10, 12);

    [Fact]
    public void TheBoxTurnIsABoxTaskWithTheBareQuestion()
    {
        var (task, error) = ConversationReader.Read(PolicyPrompts.BoxTurn(Scene, "What character is on the green triangle?"));
        Assert.Null(error);
        var box = Assert.IsType<BoxTask>(task);
        Assert.Same(Scene, box.Scene);
        Assert.Equal("What character is on the green triangle?", box.Question);
        Assert.Contains(VisCotPrompts.BoxRequest, PolicyPrompts.BoxTurn(Scene, "q?")[0].Text);
    }

    [Fact]
    public void TheAnswerTurnIsAnAnswerTaskWithTheExactBoxAndTheCrop()
    {
        var box = new Box(0.1234567890123, 0.015625, 0.987654321, 0.5);
        var (task, error) = ConversationReader.Read(PolicyPrompts.AnswerTurn(Scene, "what is left of the red circle?", BoxTexts.Exact(box), Crop));
        Assert.Null(error);
        var answer = Assert.IsType<AnswerTask>(task);
        Assert.Equal((box, "what is left of the red circle?"), (answer.Box, answer.Question));
        Assert.Same(Crop, answer.Crop);
        Assert.Same(Scene, answer.Scene);
    }

    [Fact]
    public void JudgePromptsAreReadBackExactly()
    {
        var (sr, _) = ConversationReader.Read(JudgePrompts.AnswerScore("what is on it?", "7", "a 7\nperhaps"));
        Assert.Equal(new AnswerScoreTask("what is on it?", "7", "a 7 perhaps"), sr);
        var (sb, _) = ConversationReader.Read(JudgePrompts.BoxScore(Crop, "what is on it?", "7"));
        var boxScore = Assert.IsType<BoxScoreTask>(sb);
        Assert.Equal(("what is on it?", "7"), (boxScore.Question, boxScore.StandardAnswer));
        Assert.Same(Crop, boxScore.Crop);
        // The s_r prompt with an image, or the s_b prompt without one, is no judge prompt.
        Assert.Null(JudgePrompts.Read([new ChatMessage(ChatMessage.User, [ChatPart.Of(Crop), .. JudgePrompts.AnswerScore("q", "a", "b")[0].Parts])]));
    }

    [Fact]
    public void AQuestionWithAnImageAndNoBoxRequestIsAnsweredDirectly_AndSystemMessagesAreSkipped()
    {
        var (task, _) = ConversationReader.Read([new ChatMessage(ChatMessage.System, [ChatPart.Of("be brief")]),
            new ChatMessage(ChatMessage.User, [ChatPart.Of(Scene), ChatPart.Of("what shape is red?")])]);
        Assert.Equal("what shape is red?", Assert.IsType<NoCotTask>(task).Question);
    }

    [Fact]
    public void UnsupportedConversationsAre400sThatListTheShapes()
    {
        var (_, noImage) = ConversationReader.Read([new ChatMessage(ChatMessage.User, [ChatPart.Of("hello")])]);
        Assert.Equal((400, "messages[0].content", "unsupported_conversation"), (noImage!.Status, noImage.Param, noImage.Code));
        Assert.Contains("exactly one image_url (it has 0)", noImage.Message);
        Assert.Contains(VisCotPrompts.BoxRequest, noImage.Message);

        var turn2 = PolicyPrompts.AnswerTurn(Scene, "q?", "no box here", Crop);
        var (_, badBox) = ConversationReader.Read(turn2);
        Assert.Equal("messages[1].content", badBox!.Param);
        Assert.Contains("holds no box", badBox.Message);

        var (_, endsWithAssistant) = ConversationReader.Read([.. PolicyPrompts.BoxTurn(Scene, "q?"), new ChatMessage(ChatMessage.Assistant, [ChatPart.Of("[0, 0, 1, 1]")])]);
        Assert.Contains("last message must be the user's", endsWithAssistant!.Message);
    }
}
