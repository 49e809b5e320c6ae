// The replica's animation clock: CSS animations and transitions in the rebuilt page do not run
// by themselves. Each frame Chromium renders costs it about 20 ms of CPU to capture, and a page
// that animates would be captured 60 times a second whether the agent needs it or not; so the
// replica holds every animation and advances them all to the present only when the server
// grants the session a frame (with the customer's latest changes, or a tick of its own when the
// machine has time to spare). Animations keep their real-time pace; only their frame rate is
// the server's choice.
const clock = (() => {
  'use strict';
  // Animation -> the time on its timeline at which it started (so it can be advanced to now).
  const held = new Map();

  // Time-driven animations only: scroll-driven ones change with the scroll position, which
  // only moves when the customer's events say so.
  const timeDriven = (animation) => animation.timeline && animation.timeline.constructor.name === 'DocumentTimeline';

  // Takes hold of animations that started since the last look. `getAnimations` brings styles
  // up to date first, so one that the events just applied are starting is already there, and
  // it is paused before it ever paints on its own.
  function hold(roots) {
    for (const root of roots) {
      if (typeof root.getAnimations !== 'function') continue;
      for (const animation of root.getAnimations()) {
        if (held.has(animation) || animation.playState !== 'running' || !timeDriven(animation)) continue;
        const now = animation.timeline.currentTime;
        const start = animation.startTime !== null ? animation.startTime : now - (animation.currentTime || 0);
        held.set(animation, start);
        animation.pause();
      }
    }
  }

  // Moves every held animation to where it would be now, telling `moved` each element it
  // moves; lets go of finished and cancelled ones. Returns whether any is still going.
  function advance(moved) {
    for (const [animation, start] of held) {
      const effect = animation.effect;
      const target = effect && effect.target;
      if (animation.playState === 'idle' || !target || !target.isConnected) {
        held.delete(animation);
        continue;
      }
      moved(target);
      const end = effect.getComputedTiming().endTime;
      const at = animation.timeline.currentTime - start;
      if (at >= end) {
        // Left paused at its end: a forwards fill shows its last keyframe, any other none.
        animation.currentTime = end;
        held.delete(animation);
      } else {
        animation.currentTime = Math.max(0, at);
      }
    }
    return held.size > 0;
  }

  // A new page: the old page's animations went with its document.
  function reset() {
    held.clear();
  }

  return { hold, advance, reset };
})();
