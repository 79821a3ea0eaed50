using System;
using Wdc.Native;

namespace Wdc
{
    /// <summary>The native library (libwdc.so.1) this binding calls, and its functions that need
    /// no model.</summary>
    public static class Library
    {
        /// <summary>The ABI version this binding was generated for (<c>WDC_ABI_VERSION</c>).</summary>
        public const int BindingAbiVersion = WdcCapi.WDC_ABI_VERSION;

        /// <summary>The library's version, "MAJOR.MINOR.PATCH" (<c>wdc_version</c>).</summary>
        public static string Version
        {
            get { return WdcCapi.wdc_version(); }
        }

        /// <summary>The ABI version of the loaded library (<c>wdc_abi_version</c>); equal to
        /// <see cref="BindingAbiVersion"/>, since the shim links libwdc.so.1 by its SONAME.</summary>
        public static int AbiVersion
        {
            get { return WdcCapi.wdc_abi_version(); }
        }

        /// <summary>Writes a wafer map as a PNG picture, optionally with a class activation map
        /// (from <see cref="Model.Cam(byte[,], int)"/>) blended over it, atomically (a temporary
        /// file renamed over <paramref name="path"/>). Every die is a scale x scale block:
        /// off-wafer white, pass grey, fail dark grey, the CAM in matplotlib's "inferno" colours
        /// at opacity alpha over the dies.</summary>
        /// <param name="path">The PNG file to write.</param>
        /// <param name="map">The wafer map, indexed [row, column].</param>
        /// <param name="cam">Values in [0, 1] of the same size as the map, or null for the map
        /// alone.</param>
        /// <param name="optionsJson">Null for the defaults, or a JSON object of <c>"scale"</c>
        /// (pixels per die, 1-64, default 8) and <c>"alpha"</c> (the CAM's opacity, 0-1, default
        /// 0.5).</param>
        /// <exception cref="ArgumentException"><paramref name="cam"/> is not of the map's
        /// size.</exception>
        /// <exception cref="WdcException">InvalidArgument (path "", height or width 0), Config
        /// (optionsJson), IO.</exception>
        public static void WriteMapPng(string path, byte[,] map, float[,] cam = null,
                                       string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            if (map == null)
                throw new ArgumentNullException("map");
            int height = map.GetLength(0), width = map.GetLength(1);
            float[] flatCam = null;
            if (cam != null)
            {
                if (cam.GetLength(0) != height || cam.GetLength(1) != width)
                    throw new ArgumentException(string.Format(
                        "cam is {0} x {1}, the map {2} x {3}.", cam.GetLength(0), cam.GetLength(1),
                        height, width), "cam");
                flatCam = new float[cam.Length];
                Buffer.BlockCopy(cam, 0, flatCam, 0, flatCam.Length * sizeof(float));
            }
            WdcException.Check(WdcCapi.wdc_write_map_png(
                path, Buffers.Flatten(map), height, width, flatCam,
                flatCam == null ? 0 : flatCam.LongLength, optionsJson));
        }

        /// <summary>Reads a config file <c>{"network": {...}, "train": {...}}</c> (both keys
        /// optional; keys starting with "_", "comment" and "description" are ignored) into the
        /// texts that <see cref="Model.Create(string)"/> and <see cref="Model.Train(string, System.Func{Progress, bool})"/> take.</summary>
        /// <param name="path">The config file.</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), IO, Config (not JSON, not an
        /// object, an unknown key, "network" or "train" not an object).</exception>
        public static ConfigFile ReadConfig(string path)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            string network, train;
            WdcException.Check(WdcCapi.wdc_config_read(path, out network, out train));
            return new ConfigFile(network, train);
        }
    }

    /// <summary>The two parts of a config file, as <see cref="Library.ReadConfig"/> read
    /// them.</summary>
    public sealed class ConfigFile
    {
        internal ConfigFile(string networkJson, string trainJson)
        {
            NetworkJson = networkJson;
            TrainJson = trainJson;
        }

        /// <summary>The network config, for <see cref="Model.Create(string)"/>; "" when the file
        /// has none (Create then builds the default network).</summary>
        public string NetworkJson { get; private set; }

        /// <summary>The training options, for <see cref="Model.Train(string, System.Func{Progress, bool})"/>; "{}" when the file has
        /// none.</summary>
        public string TrainJson { get; private set; }
    }
}
