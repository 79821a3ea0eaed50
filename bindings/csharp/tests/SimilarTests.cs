// NUnit 2.6 tests of embeddings and similar-map search through the C# binding (ctest -L csharp,
// with the other *Tests.cs; same environment): Model.EmbeddingSize and Embed against each other
// and unit length, MapIndex built from a data set, saved and loaded, Model.Similar finding each
// indexed map itself first, the fingerprint check against other models, and the errors.
using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class SimilarTests : ModelFixture
    {
        public SimilarTests() : base("nunit-similar")
        {
        }

        // Another network than the index's model: one block of 8 channels.
        private const string OtherConfig = "{\"blocks\":[{\"channels\":8,\"stride\":2}]}";

        private static float[] Row(float[,] values, int row)
        {
            var result = new float[values.GetLength(1)];
            for (int j = 0; j < result.Length; ++j)
                result[j] = values[row, j];
            return result;
        }

        private static void AssertUnitRows(float[,] embeddings, int size)
        {
            Assert.That(embeddings.GetLength(1), Is.EqualTo(size));
            for (int i = 0; i < embeddings.GetLength(0); ++i)
            {
                double norm = Math.Sqrt(Row(embeddings, i).Sum(v => (double)v * v));
                Assert.That(norm, Is.EqualTo(1.0).Within(1e-4), "row " + i);
            }
        }

        private static void AssertClose(float[,] actual, float[,] expected, double tolerance)
        {
            Assert.That(new[] { actual.GetLength(0), actual.GetLength(1) },
                        Is.EqualTo(new[] { expected.GetLength(0), expected.GetLength(1) }));
            for (int i = 0; i < expected.GetLength(0); ++i)
                for (int j = 0; j < expected.GetLength(1); ++j)
                    Assert.That(actual[i, j], Is.EqualTo(expected[i, j]).Within(tolerance),
                                "[" + i + ", " + j + "]");
        }

        private static List<Dictionary<string, object>> Objects(object list)
        {
            return ((List<object>)list).Cast<Dictionary<string, object>>().ToList();
        }

        /// <summary>Per query of a Similar answer: neighbour index -> similarity.</summary>
        private static List<Dictionary<long, double>> Similarities(string json)
        {
            return Objects(Json.Parse(json))
                .Select(query => Objects(query["neighbours"])
                            .ToDictionary(n => (long)(double)n["index"], n => (double)n["similarity"]))
                .ToList();
        }

        /// <summary>Checks a Similar answer for maps [mapFirst, mapFirst + count) of the data set
        /// the index was built from, which the answer calls reportedFirst, reportedFirst + 1, ...:
        /// one object per map, in order, with min(k, indexed) distinct neighbours, most similar
        /// first, each with the labels the data set gives it, and the map itself
        /// first.</summary>
        private static void AssertEachFindsItself(string json, long reportedFirst, long mapFirst,
                                                  int count, int k, Dataset data)
        {
            List<Dictionary<string, object>> queries = Objects(Json.Parse(json));
            Assert.That(queries.Count, Is.EqualTo(count));
            long indexed = data.Count;
            string[] names = data.LabelNames;
            byte[,] labels = data.Labels(0, indexed);
            for (int i = 0; i < count; ++i)
            {
                string what = "query " + i;
                Assert.That(queries[i]["index"], Is.EqualTo((double)(reportedFirst + i)), what);
                List<Dictionary<string, object>> neighbours = Objects(queries[i]["neighbours"]);
                Assert.That(neighbours.Count, Is.EqualTo((int)Math.Min(k, indexed)), what);
                Assert.That(neighbours[0]["index"], Is.EqualTo((double)(mapFirst + i)), what + ": itself first");
                Assert.That((double)neighbours[0]["similarity"], Is.GreaterThan(0.999), what);
                var seen = new HashSet<long>();
                for (int n = 0; n < neighbours.Count; ++n)
                {
                    long j = (long)(double)neighbours[n]["index"];
                    double similarity = (double)neighbours[n]["similarity"];
                    Assert.That(j, Is.InRange(0L, indexed - 1), what);
                    Assert.That(seen.Add(j), Is.True, what + ": neighbour " + j + " twice");
                    Assert.That(similarity, Is.InRange(-1.0001, 1.0001), what);
                    if (n > 0)
                        Assert.That(similarity,
                                    Is.LessThanOrEqualTo((double)neighbours[n - 1]["similarity"]),
                                    what + ": most similar first");
                    var truth = new List<object>();
                    for (int l = 0; l < names.Length; ++l)
                        if (labels[j, l] == 1)
                            truth.Add(names[l]);
                    Assert.That(neighbours[n]["labels"], Is.EqualTo(truth), what + ", neighbour " + j);
                }
            }
        }

        /// <summary>Two answers over the whole index (k = its count) name the same neighbours
        /// with the same similarities.</summary>
        private static void AssertSameAnswer(string actual, string expected)
        {
            List<Dictionary<long, double>> a = Similarities(actual), e = Similarities(expected);
            Assert.That(a.Count, Is.EqualTo(e.Count));
            for (int i = 0; i < e.Count; ++i)
            {
                Assert.That(a[i].Keys.OrderBy(j => j), Is.EqualTo(e[i].Keys.OrderBy(j => j)), "query " + i);
                foreach (KeyValuePair<long, double> neighbour in e[i])
                    Assert.That(a[i][neighbour.Key], Is.EqualTo(neighbour.Value).Within(1e-5),
                                "query " + i + ", neighbour " + neighbour.Key);
            }
        }

        // ---- embeddings ---------------------------------------------------------------------------

        [Test]
        public void EmbeddingSizeIsTheChannelsOfTheLastBlock()
        {
            Assert.That(_model.EmbeddingSize, Is.EqualTo(16));  // TinyConfig: 8, then 16 channels
            using (Model other = Model.Create(OtherConfig))
                Assert.That(other.EmbeddingSize, Is.EqualTo(8));
        }

        [Test]
        [Timeout(120000)]
        public void EmbeddingsHaveUnitLengthAndAgreeAcrossOverloads()
        {
            using (Model model = Model.LoadBuiltin())
            using (Dataset data = Dataset.Synthesize(12, 3))
            {
                int size = model.EmbeddingSize;
                Assert.That(size, Is.GreaterThan(0));
                byte[,,] maps = data.Maps(0, 12);
                float[,] embeddings = model.Embed(maps);
                Assert.That(embeddings.GetLength(0), Is.EqualTo(12));
                AssertUnitRows(embeddings, size);

                // The same maps from the data set, whole and in part, and as a flat buffer.
                AssertClose(model.Embed(data, 0, 12), embeddings, 1e-5);
                float[,] part = model.Embed(data, 5, 3);
                AssertUnitRows(part, size);
                for (int i = 0; i < 3; ++i)
                    Assert.That(Row(part, i), Is.EqualTo(Row(embeddings, 5 + i)).Within(1e-5f), "map " + (5 + i));
                var flatMaps = new byte[maps.Length];
                Buffer.BlockCopy(maps, 0, flatMaps, 0, flatMaps.Length);
                float[] flat = model.Embed(flatMaps, 12, 52, 52);
                Assert.That(flat.Length, Is.EqualTo(12 * size));
                for (int i = 0; i < 12; ++i)
                    for (int j = 0; j < size; ++j)
                        Assert.That(flat[i * size + j], Is.EqualTo(embeddings[i, j]).Within(1e-5f));

                // Maps that differ look different: not every pair is at similarity 1.
                double leastSimilar = 1;
                for (int a = 0; a < 12; ++a)
                    for (int b = a + 1; b < 12; ++b)
                        leastSimilar = Math.Min(leastSimilar, Row(embeddings, a).Zip(
                            Row(embeddings, b), (x, y) => (double)x * y).Sum());
                Assert.That(leastSimilar, Is.LessThan(0.999));

                // Empty inputs give empty results of the embedding's width.
                float[,] none = model.Embed(data, 12, 0);
                Assert.That(new[] { none.GetLength(0), none.GetLength(1) }, Is.EqualTo(new[] { 0, size }));
                none = model.Embed(new byte[0, 52, 52]);
                Assert.That(new[] { none.GetLength(0), none.GetLength(1) }, Is.EqualTo(new[] { 0, size }));
                Assert.That(model.Embed(new byte[0], 0, 52, 52), Is.Empty);
            }
        }

        [Test]
        public void EmbedMapsOfMixedSizesFromADataSet()
        {
            var maps = new List<byte[,]> { FabDataTests.Wafer(20, 24, 0.1, 1),
                                           FabDataTests.Wafer(31, 31, 0.5, 2),
                                           FabDataTests.Wafer(40, 26, 0.9, 3) };
            using (Dataset data = Dataset.Create(maps, new[] { 0, 1, 0 }, new[] { "a", "b" }))
            {
                float[,] fromSet = _model.Embed(data, 0, 3);
                Assert.That(fromSet.GetLength(0), Is.EqualTo(3));
                Assert.That(fromSet.GetLength(1), Is.EqualTo(_model.EmbeddingSize));
                // Each map alone, at its own size: the same embedding.
                for (int i = 0; i < 3; ++i)
                {
                    var one = new byte[1, maps[i].GetLength(0), maps[i].GetLength(1)];
                    Buffer.BlockCopy(maps[i], 0, one, 0, maps[i].Length);
                    Assert.That(Row(_model.Embed(one), 0), Is.EqualTo(Row(fromSet, i)).Within(1e-5f), "map " + i);
                }
            }
        }

        [Test]
        public void EmbedErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _model.Embed((byte[,,])null));
            Assert.Throws<ArgumentNullException>(() => _model.Embed((byte[])null, 1, 52, 52));
            Assert.Throws<ArgumentNullException>(() => _model.Embed((Dataset)null, 0, 1));
            // The library cannot see the array's length: the binding refuses a short buffer.
            Assert.Throws<ArgumentException>(() => _model.Embed(new byte[52 * 52], 2, 52, 52));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(new byte[52], -1, 52, 52));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(new byte[1, 0, 52]));
            using (Dataset data = Dataset.Synthesize(12, 1))
            {
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(data, 10, 5));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(data, -1, 1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(data, 0, -1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Embed(data, 13, 0));
            }
        }

        // ---- the index ----------------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void EachIndexedMapFindsItselfFirst()
        {
            using (Model model = Model.LoadBuiltin())
            using (Dataset data = Dataset.Synthesize(20, 5))
            using (MapIndex index = MapIndex.Build(model, data))
            {
                Assert.That(index.Count, Is.EqualTo(20));
                AssertEachFindsItself(model.Similar(index, data.Maps(0, 20), 5), 0, 0, 20, 5, data);
                // Maps of an array are called 0, 1, ...; those of a data set by their index in it.
                AssertEachFindsItself(model.Similar(index, data.Maps(7, 2), 1), 0, 7, 2, 1, data);
                AssertEachFindsItself(model.Similar(index, data, 4, 6, 3), 4, 4, 6, 3, data);
                // k over the index's size: every indexed map once.
                AssertEachFindsItself(model.Similar(index, data, 0, 2, 50), 0, 0, 2, 50, data);
                // The same maps as an array and from the data set: the same neighbours.
                AssertSameAnswer(model.Similar(index, data.Maps(0, 20), 20),
                                 model.Similar(index, data, 0, 20, 20));
                // Empty inputs.
                Assert.That(model.Similar(index, new byte[0, 52, 52], 3), Is.EqualTo("[]"));
                Assert.That(model.Similar(index, data, 20, 0, 3), Is.EqualTo("[]"));
            }
        }

        [Test]
        [Timeout(120000)]
        public void SaveAndLoadGiveTheSameAnswers()
        {
            string path = TempPath("index.npz");
            using (Model model = Model.LoadBuiltin())
            using (Dataset data = Dataset.Synthesize(16, 7))
            {
                byte[,,] queries = data.Maps(0, 16);
                string expected;
                using (MapIndex index = MapIndex.Build(model, data))
                {
                    expected = model.Similar(index, queries, 16);
                    index.Save(path);
                }
                using (MapIndex loaded = MapIndex.Load(path))
                {
                    Assert.That(loaded.Count, Is.EqualTo(16));
                    string answer = model.Similar(loaded, queries, 16);
                    AssertEachFindsItself(answer, 0, 0, 16, 16, data);
                    AssertSameAnswer(answer, expected);
                    // Saved again, it loads back the same.
                    string again = TempPath("index again.npz");
                    loaded.Save(again);
                    using (MapIndex reloaded = MapIndex.Load(again, "{\"max_file_bytes\": 1000000}"))
                        AssertSameAnswer(model.Similar(reloaded, queries, 16), expected);
                }
                // Another instance of the same model (same config and weights) may query it.
                using (Model same = Model.LoadBuiltin())
                using (MapIndex loaded = MapIndex.Load(path))
                    AssertSameAnswer(same.Similar(loaded, queries, 16), expected);
                // Not an index: a data set file.
                string npz = TempPath("not-an-index.npz");
                data.Save(npz);
                ModelTests.AssertWdcError(Status.Format, () => MapIndex.Load(npz));
            }
            ModelTests.AssertWdcError(Status.IO, () => MapIndex.Load(TempPath("no-such-index.npz")));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => MapIndex.Load(""));
            ModelTests.AssertWdcError(Status.Config, () => MapIndex.Load(path, "{\"bogus\": 1}"));
        }

        [Test]
        [Timeout(120000)]
        public void OnlyTheModelThatBuiltTheIndexMayQueryIt()
        {
            using (Model model = Model.LoadBuiltin())
            using (Dataset data = Dataset.Synthesize(8, 2))
            using (MapIndex index = MapIndex.Build(model, data))
            using (Model other = Model.Create(OtherConfig))
            {
                byte[,,] maps = data.Maps(0, 2);
                WdcException e = ModelTests.AssertWdcError(Status.InvalidArgument,
                                                           () => other.Similar(index, maps, 3));
                StringAssert.Contains("another model", e.NativeMessage);
                ModelTests.AssertWdcError(Status.InvalidArgument, () => other.Similar(index, data, 0, 2, 3));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Similar(index, maps, 3));
                // The index's own model: k must be at least 1.
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Similar(index, maps, 0));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Similar(index, maps, -1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Similar(index, data, 0, 2, 0));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Similar(index, data, 7, 2, 3));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Similar(index, new byte[1, 0, 52], 3));
                Assert.That(model.Similar(index, maps, 1), Is.Not.Empty);
            }
        }

        [Test]
        [Timeout(120000)]
        public void TrainingMakesTheModelAnotherOne()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            using (Dataset data = Dataset.Synthesize(8, 4))
            using (MapIndex index = MapIndex.Build(model, data))
            {
                byte[,,] maps = data.Maps(0, 2);
                model.Similar(index, maps, 2);
                model.Train(data, data, "{\"epochs\": 1, \"batch_size\": 4, \"seed\": 1, \"threads\": 1}");
                WdcException e = ModelTests.AssertWdcError(Status.InvalidArgument,
                                                           () => model.Similar(index, maps, 2));
                StringAssert.Contains("another model", e.NativeMessage);
                // Rebuilt with the trained weights, it answers again.
                using (MapIndex rebuilt = MapIndex.Build(model, data))
                    Assert.That(Similarities(model.Similar(rebuilt, maps, 3)).Select(n => n.Count),
                                Is.EqualTo(new[] { 3, 3 }));
            }
        }

        // ---- null arguments and dispose -----------------------------------------------------------

        [Test]
        public void NullArgumentsThrowArgumentNull()
        {
            using (Dataset data = Dataset.Synthesize(3, 1))
            using (MapIndex index = MapIndex.Build(_model, data))
            {
                Assert.Throws<ArgumentNullException>(() => MapIndex.Build(null, data));
                Assert.Throws<ArgumentNullException>(() => MapIndex.Build(_model, null));
                Assert.Throws<ArgumentNullException>(() => MapIndex.Load(null));
                Assert.Throws<ArgumentNullException>(() => index.Save(null));
                Assert.Throws<ArgumentNullException>(() => _model.Similar(null, new byte[1, 52, 52], 1));
                Assert.Throws<ArgumentNullException>(() => _model.Similar(index, (byte[,,])null, 1));
                Assert.Throws<ArgumentNullException>(() => _model.Similar(null, data, 0, 1, 1));
                Assert.Throws<ArgumentNullException>(() => _model.Similar(index, (Dataset)null, 0, 1, 1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => index.Save(""));
                ModelTests.AssertWdcError(Status.IO, () => index.Save(TempPath("no-such-dir/index.npz")));
            }
        }

        [Test]
        public void DisposeTwiceThenUseThrowsObjectDisposed()
        {
            using (Dataset data = Dataset.Synthesize(3, 1))
            {
                MapIndex index = MapIndex.Build(_model, data);
                Assert.That(index.Count, Is.EqualTo(3));
                index.Dispose();
                index.Dispose();
                Assert.Throws<ObjectDisposedException>(() => { var c = index.Count; });
                Assert.Throws<ObjectDisposedException>(() => index.Save(TempPath("disposed.npz")));
                Assert.Throws<ObjectDisposedException>(() => _model.Similar(index, data.Maps(0, 1), 1));
                Assert.Throws<ObjectDisposedException>(() => _model.Similar(index, data, 0, 1, 1));

                using (Model model = Model.Create(ModelTests.TinyConfig))
                using (MapIndex live = MapIndex.Build(model, data))
                {
                    model.Dispose();
                    Assert.Throws<ObjectDisposedException>(() => { var s = model.EmbeddingSize; });
                    Assert.Throws<ObjectDisposedException>(() => model.Embed(data.Maps(0, 1)));
                    Assert.Throws<ObjectDisposedException>(() => model.Embed(data, 0, 1));
                    Assert.Throws<ObjectDisposedException>(() => model.Similar(live, data.Maps(0, 1), 1));
                    Assert.Throws<ObjectDisposedException>(() => model.Similar(live, data, 0, 1, 1));
                    Assert.Throws<ObjectDisposedException>(() => MapIndex.Build(model, data));
                    Assert.That(live.Count, Is.EqualTo(3), "the index is independent of its model");
                }
            }
            Dataset gone = Dataset.Synthesize(3, 1);
            gone.Dispose();
            Assert.Throws<ObjectDisposedException>(() => MapIndex.Build(_model, gone));
            Assert.Throws<ObjectDisposedException>(() => _model.Embed(gone, 0, 1));
        }

        [Test]
        public void UndisposedIndexesAreFreedByTheFinalizer()
        {
            using (Dataset data = Dataset.Synthesize(4, 1))
                for (int i = 0; i < 10; ++i)
                    MapIndex.Build(_model, data);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
    }
}
