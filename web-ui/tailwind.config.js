/** @type {import('tailwindcss').Config} */
export default {
  content: ["./index.html", "./src/**/*.{ts,tsx}"],
  // Follows the system setting: readable at 3 a.m. in a dark room.
  darkMode: "media",
  theme: { extend: {} },
  plugins: [],
};
