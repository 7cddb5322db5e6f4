using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.DataGeneration;

/// <summary>A candidate to score: its item's scene, question and standard answer, its box (null when none parsed) and answer; <see cref="ItemId"/> names the item when a judge fails it.</summary>
public sealed record CriticInput(long CandidateId, RgbImage Scene, string Question, string StandardAnswer, Box? Box, string Answer, long ItemId = 0);
