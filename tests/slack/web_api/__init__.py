"""The Web API method families the emulator answers, one mixin class per family."""
