// Data-parallel training through the C# door (docs/DISTRIBUTED.md): the training options
// world_size, rank and dist_url reach wdc_train. The two ranks are two threads of this process,
// each training its own Model; a group does not care whether its ranks share a process.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class DistributedTests
    {
        // A loopback port nothing listens on now (the kernel's pick).
        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        [Test]
        public void TwoRanksEndWithTheSameModel()
        {
            string url = "tcp://127.0.0.1:" + FreePort();
            var models = new Model[2];
            var reports = new string[2];
            var errors = new Exception[2];
            var threads = new List<Thread>();
            for (int rank = 0; rank < 2; ++rank)
            {
                int r = rank;
                models[r] = Model.Create(ModelTests.TinyConfig);
                threads.Add(new Thread(() =>
                {
                    try
                    {
                        reports[r] = models[r].Train(
                            "{\"synthetic\": 96, \"epochs\": 2, \"batch_size\": 8, \"lr\": 0.05, " +
                            "\"seed\": 3, \"threads\": 1, \"world_size\": 2, \"rank\": " + r +
                            ", \"dist_url\": \"" + url + "\", \"dist_timeout\": 60}");
                    }
                    catch (Exception e)
                    {
                        errors[r] = e;
                    }
                }));
            }
            try
            {
                foreach (Thread t in threads)
                    t.Start();
                foreach (Thread t in threads)
                    t.Join();
                if (errors[0] != null && errors[0].Message.Contains("has no Gloo"))
                    Assert.Ignore("this build has no Gloo");
                Assert.That(errors[0], Is.Null, "rank 0");
                Assert.That(errors[1], Is.Null, "rank 1");
                for (int r = 0; r < 2; ++r)
                {
                    var report = (Dictionary<string, object>)Json.Parse(reports[r]);
                    Assert.That(Convert.ToInt32(report["world_size"]), Is.EqualTo(2));
                    Assert.That(Convert.ToInt32(report["rank"]), Is.EqualTo(r));
                }
                // Every rank ends with the same weights: the same probabilities, bit for bit.
                byte[,,] maps = ModelTests.MakeMaps(6, 52, 52);
                Assert.That(models[1].Predict(maps), Is.EqualTo(models[0].Predict(maps)));
            }
            finally
            {
                foreach (Model m in models)
                    m.Dispose();
            }
        }

        [Test]
        public void BadGroupOptionsAreConfigErrors()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            {
                var e = Assert.Throws<WdcException>(
                    () => model.Train("{\"synthetic\": 16, \"epochs\": 1, \"world_size\": 2}"));
                Assert.That(e.Status, Is.EqualTo(Status.Config));
                StringAssert.Contains("dist_url", e.Message);
            }
        }
    }
}
